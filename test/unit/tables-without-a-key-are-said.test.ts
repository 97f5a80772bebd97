/**
 * Source tables without a primary key are not mirrored, and said so: the schema check's bookkeeping
 * (followUnmirrored) keeps one `unmirrored:` state row per such table (written once, removed when the
 * table gets a key, is registered, or is dropped), the stored rows read back in order, and a resync
 * asked for one says why instead of "not replicated". Real state store (in-memory SQLite replica).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { requestResync } from '../../main/engine/snapshot/resync.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { followUnmirrored, unmirroredFromRows } from '../../main/engine/unmirrored-tables.ts';
import type { SchemaLog } from '../../main/engine/schema/history-log.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';

const def = (name: string, primaryKey: string[]): TableDef => ({
  schema: 'crm', name, primaryKey,
  columns: [{ name: 'a', type: { kind: 'int', bits: 32 }, nullable: true }] as TableDef['columns'],
});
const entry = (pos: bigint, d: TableDef | null) => ({ pos, hash: null, def: d, collection: `crm.${d?.name ?? 'x'}` });

it('tables without a key: stored once, read back, gone when keyed or dropped; a resync of one says why', async () => {
  const ctx = await makeContext(new Topic());
  const log: SchemaLog = new Map([
    ['crm.NoKey', [entry(1n, def('NoKey', []))]],
    ['crm.keyed', [entry(2n, def('keyed', ['a']))]],
    ['crm.gone', [entry(3n, def('gone', [])), entry(4n, null)]],
  ]);
  const first = followUnmirrored(ctx, log, new Map(), 1000);
  assert.deepEqual(first.rows.map((r) => [r.id, r.kind]), [['unmirrored:crm.NoKey', 'unmirrored']]);
  assert.deepEqual(first.remove, []);
  await ctx.persist(first.rows, first.remove);
  const stored = unmirroredFromRows(await ctx.replica.readState());
  assert.deepEqual(stored.map((t) => [t.table, t.since]), [['crm.NoKey', 1000]]);
  assert.match(stored[0]!.reason, /^not mirrored: the source table has no primary key/);
  assert.deepEqual(followUnmirrored(ctx, log, new Map(), 2000), { rows: [], remove: [] }, 'said once: a second check writes nothing');

  await assert.rejects(requestResync(ctx, ['nokey']), (e: unknown) => e instanceof MirrorError && e.code === 'TABLE_UNKNOWN' && /^table crm\.NoKey is not mirrored: the source table has no primary key/.test(e.message));

  log.set('crm.NoKey', [entry(1n, def('NoKey', [])), entry(5n, def('NoKey', ['a']))]); // given a key at the source
  const keyed = followUnmirrored(ctx, log, new Map(), 3000);
  assert.deepEqual(keyed, { rows: [], remove: ['unmirrored:crm.NoKey'] });
  await ctx.persist(keyed.rows, keyed.remove);
  assert.deepEqual(unmirroredFromRows(await ctx.replica.readState()), []);
  assert.equal(ctx.unmirrored?.size, 0);
});

it('tables the replica refused: said with the refusal, rewritten when the reason changes, gone once created', async () => {
  const ctx = await makeContext(new Topic());
  const log: SchemaLog = new Map([['crm.longcol', [entry(1n, def('longcol', ['a']))]]]);
  const refusedA = new Map([['crm.longcol', 'not mirrored: the replica refused the table [SCHEMA_CONFLICT]: name too long']]);
  const a = followUnmirrored(ctx, log, refusedA, 1000);
  assert.deepEqual(a.rows.map((r) => r.id), ['unmirrored:crm.longcol']);
  assert.deepEqual(followUnmirrored(ctx, log, refusedA, 2000).rows, [], 'the same refusal: nothing rewritten');
  const b = followUnmirrored(ctx, log, new Map([['crm.longcol', 'not mirrored: the replica refused the table [REPLICA_PERMISSION]: denied']]), 3000);
  assert.equal(b.rows.length, 1, 'another reason: rewritten');
  assert.match(b.rows[0]!.value, /REPLICA_PERMISSION/);
  assert.equal(ctx.unmirrored?.get('crm.longcol')?.since, 1000, 'since the first time it was said');
  assert.deepEqual(followUnmirrored(ctx, log, new Map(), 4000), { rows: [], remove: ['unmirrored:crm.longcol'] }, 'created by this check: its row goes');
});
