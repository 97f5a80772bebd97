/**
 * A registered table that the settings' filter (`tables`: include / exclude / blocked list) leaves out
 * after a restart: its events are skipped, so it is said stale with why (it was "ok" while its rows
 * stayed as they were: left out, changed at the source, let in again, it was "ok" and silently
 * different); let in again, it is handed back for a resync. Real processor, in-memory SQLite replica,
 * recorded envelopes; rows read back with plain SQL.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { processMessages } from '../../main/engine/apply/processor.ts';
import { followTableFilter } from '../../main/engine/left-out-tables.ts';
import { createTableFilter } from '../../main/engine/schema/table-filter.ts';
import { markResync, requestResync } from '../../main/engine/snapshot/resync.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';

const hb = async (): Promise<void> => undefined;

it('left out: stale with why, its events skipped, its sweep cancelled; let in again: returned for a resync', async () => {
  const topic = new Topic();
  const ctx = await makeContext(topic);
  await processMessages(ctx, 0, [1, 2, 3].map((id) => topic.message({ table: 'contact', id, op: 'c' })), hb);
  await processMessages(ctx, 0, [1].map((id) => topic.message({ table: 'sale', id, op: 'c' })), hb);
  const contact = ctx.registry.all().find((r) => r.name === 'contact')!;
  await markResync(ctx, [contact.id]); // a resync under way when the table is left out
  assert.equal(ctx.registry.get(contact.id)!.state, 'resyncing');
  // Plain SQL on the replica's own in-memory database (its connection is the only way in).
  const db = (ctx.replica as unknown as { db: { prepare(s: string): { get(): unknown } } }).db;
  const count = (): number => Number((db.prepare('SELECT COUNT(*) AS n FROM "contact"').get() as { n: number | bigint }).n);
  const sweeping = (): Promise<boolean> => ctx.replica.hasSweep(contact.def);
  assert.equal(await sweeping(), true);

  ctx.filter = createTableFilter({ include: [], exclude: [contact.id], honourBlockedList: true });
  assert.deepEqual(await followTableFilter(ctx, Date.UTC(2026, 11, 5, 18, 0, 0)), []);
  const out = ctx.registry.get(contact.id)!;
  assert.equal(out.state, 'stale');
  assert.match(out.staleReason!, /^not replicated: left out by the tables setting \(include \/ exclude \/ blocked list\) since 2026-12-05 18:00:00 UTC; its changes are not applied/);
  assert.equal(out.sweep, null);
  assert.equal(await sweeping(), false, 'the seen set of its resync is dropped');
  const sale = ctx.registry.all().find((r) => r.name === 'sale')!;
  assert.equal(sale.state, 'resyncing', 'a table still mirrored is untouched');
  assert.equal(sale.leftOutAt, undefined);
  // Its events are skipped from now on; said once: a second check changes nothing.
  await processMessages(ctx, 0, [topic.message({ table: 'contact', id: 9, op: 'c' }), topic.message({ table: 'contact', id: 1, op: 'd' })], hb);
  assert.equal(count(), 3);
  assert.deepEqual(await followTableFilter(ctx, Date.UTC(2026, 11, 5, 19, 0, 0)), []);
  assert.match(ctx.registry.get(contact.id)!.staleReason!, /since 2026-12-05 18:00:00 UTC/);
  // A resync of it asked for meanwhile would never end (its snapshot rows are skipped too): refused, saying why.
  await assert.rejects(requestResync(ctx, [contact.id]), (e: unknown) => e instanceof MirrorError && e.code === 'TABLE_UNKNOWN' && /is left out by the tables setting: let it in again/.test(e.message));
  assert.equal(ctx.registry.get(contact.id)!.state, 'stale');

  ctx.filter = createTableFilter({ include: [], exclude: [], honourBlockedList: true });
  assert.deepEqual(await followTableFilter(ctx), [contact.id]);
  const back = ctx.registry.get(contact.id)!;
  assert.equal(back.state, 'stale', 'stale until its resync replaces what it missed');
  assert.match(back.staleReason!, /^let in again by the tables setting after being left out since 2026-12-05 18:00:00 UTC: resynced from the source$/);
  assert.equal(back.leftOutAt, null);
  assert.deepEqual(await followTableFilter(ctx), [], 'handed back once');
});

it('let in again with a change made while it was out: the schema check may resync it before the mark is cleared; handed back once', async () => {
  const topic = new Topic();
  const ctx = await makeContext(topic);
  await processMessages(ctx, 0, [1, 2].map((id) => topic.message({ table: 'contact', id, op: 'c' })), hb);
  const contact = ctx.registry.all().find((r) => r.name === 'contact')!;
  ctx.filter = createTableFilter({ include: [], exclude: [contact.id], honourBlockedList: true });
  await followTableFilter(ctx);
  assert.ok(ctx.registry.get(contact.id)!.leftOutAt);
  // Let in: the check rebuilds it (an incompatible change made while out) and resyncs it while the table
  // still carries the mark; the filter decides, not the mark.
  ctx.filter = createTableFilter({ include: [], exclude: [], honourBlockedList: true });
  await requestResync(ctx, [contact.id], 'schema change: column x changed type incompatibly');
  assert.equal(ctx.registry.get(contact.id)!.state, 'resyncing');
  assert.deepEqual(await followTableFilter(ctx), [], 'that resync replaces what it missed: not asked for twice');
  const rec = ctx.registry.get(contact.id)!;
  assert.equal(rec.leftOutAt, null);
  assert.equal(rec.state, 'resyncing');
  assert.equal(await ctx.replica.hasSweep(rec.def), true);
});
