/**
 * A replica table of a mirrored source table that the replica's state has no record of (an earlier
 * mirror's whose _ReplicationState was dropped, a legacy replica) is dropped and created again from the
 * source's definition when the table's first event arrives, whether that event is of the initial snapshot
 * or of the stream. Reused as it was, its rows the source never had stayed and a column of another type
 * turned every value written into it: here big_counter declared REAL held an 18-digit integer as a double
 * (silently different rows). Run through the real processor and an in-memory SQLite replica; read back
 * with plain SQL.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { processMessages } from '../../main/engine/apply/processor.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';
import type { Step } from '../doubles/engine-context.ts';

type Db = { exec(sql: string): void; prepare(sql: string): { all(...p: unknown[]): Array<Record<string, unknown>> } };
const dbOf = (ctx: EngineContext): Db => (ctx.replica as unknown as { db: Db }).db;

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/mariadb/r-table-contact.json'), 'utf8')) as { value: string };
const after = (JSON.parse(fixture.value) as { payload: { after: Record<string, unknown> } }).payload.after;
const columns = Object.keys(after);
// The fixture's big_counter as the double's messages carry it (they are built with JSON.parse): 18 digits,
// which a REAL column keeps only as a double ('-5.38934127408971e+17').
const BIG = String(after.big_counter);

/** A contact table no state speaks of: big_counter declared REAL, the other columns untyped, one row (900) the source never had. */
function leaveTable(ctx: EngineContext): void {
  const cols = columns.map((c) => (c === 'contact_id' ? '"contact_id" INTEGER NOT NULL PRIMARY KEY' : c === 'big_counter' ? '"big_counter" REAL' : `"${c}"`));
  dbOf(ctx).exec(`CREATE TABLE "contact" (${cols.join(', ')}); INSERT INTO "contact" ("contact_id", "big_counter") VALUES (900, 1)`);
}

async function run(steps: Step[]): Promise<{ ctx: EngineContext; topic: Topic; rows: Array<Record<string, unknown>>; type: unknown }> {
  const topic = new Topic();
  const ctx = await makeContext(topic);
  leaveTable(ctx);
  await processMessages(ctx, 0, steps.map((s) => topic.message(s)), async () => undefined);
  const db = dbOf(ctx);
  const rows = db.prepare(`SELECT CAST("contact_id" AS TEXT) AS k, CAST("big_counter" AS TEXT) AS b, typeof("big_counter") AS t FROM "contact" ORDER BY "contact_id"`).all();
  const type = db.prepare(`SELECT type FROM pragma_table_info('contact') WHERE name = 'big_counter'`).all()[0]?.type;
  return { ctx, topic, rows, type };
}

it('its first event of the initial snapshot: the table is built again from the event\'s definition, the snapshot fills it, every value exact', async () => {
  const { ctx, rows, type } = await run([1, 2, 3].map((id, i) => ({ table: 'contact', id, attempt: 1, snapshot: i === 0 ? 'first' : i === 2 ? 'last' : 'true' })));
  assert.deepEqual(rows, ['1', '2', '3'].map((k) => ({ k, b: BIG, t: 'integer' })), 'row 900 is gone, big_counter exact');
  assert.equal(type, 'INTEGER', 'big_counter declared as the product declares an int64');
  assert.equal(ctx.registry.get('crm_fixture.contact')?.sweep ?? null, null, 'filled by the snapshot, no resync needed');
  await ctx.replica.close();
});

it('its first event of the stream: the table is built again and a resync requested to fill it', async () => {
  const { ctx, topic, rows, type } = await run([{ table: 'contact', id: 7, op: 'c' }]);
  assert.deepEqual(rows, [{ k: '7', b: BIG, t: 'integer' }], 'row 900 is gone, big_counter exact');
  assert.equal(type, 'INTEGER');
  const rec = ctx.registry.get('crm_fixture.contact');
  assert.equal(rec?.state, 'resyncing', 'filled by a resync: rows written before its first event are the source\'s to send');
  assert.equal(topic.sent.filter((s) => s.topic === ctx.topics.signal).length, 1, 'the resync\'s signal is sent');
  await ctx.replica.close();
});
