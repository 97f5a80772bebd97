/**
 * Replica tables follow the source: created from the first event of a table (or from the schema-history
 * topic for empty tables), altered in place for compatible changes, dropped + recreated + resnapshotted
 * for incompatible ones. The periodic schema check reads `<ctx>-schemahistory`.
 */
import type { EngineContext } from './context.ts';
import type { ChangeEvent } from './decode/envelope.ts';
import type { SchemaCheckResult } from './engine-control.ts';
import { planSchemaChange } from './schema/compat.ts';
import { historyToChanges } from './schema/from-history.ts';
import type { TableChange } from './schema/from-history.ts';
import { tableHash } from './schema/table-hash.ts';
import { tableId } from './schema/table-model.ts';
import type { TableDef } from './schema/table-model.ts';
import { parseLossless } from './decode/json.ts';
import { readTopicToEnd } from './source/read-topic.ts';
import { requestResync } from './snapshot/resync.ts';
import { stateIds } from './state/records.ts';
import type { TableRecord } from './state/records.ts';

function newRecord(def: TableDef, collection: string, state: TableRecord['state']): TableRecord {
  const now = Date.now();
  return {
    id: tableId(def), schema: def.schema, name: def.name, collection, def, hash: tableHash(def), previousHashes: [],
    state, staleReason: null, error: null, sweep: null,
    snapshot: state === 'snapshotting' || state === 'pending' ? { kind: 'initial', rowsSeen: 0, rowsExpected: null, startedAt: now } : null,
    createdAt: now,
  };
}

/** First event of a table the replica does not have. */
export async function createTableFromEvent(ctx: EngineContext, ev: ChangeEvent): Promise<TableRecord> {
  const inInitialSnapshot = ev.op === 'r' && ev.snapshot !== 'incremental';
  await ctx.replica.createTable(ev.def);
  const rec = newRecord(ev.def, ev.collection, inInitialSnapshot ? 'snapshotting' : 'ok');
  ctx.registry.put(rec);
  await ctx.persist(ctx.registry.takeDirty());
  ctx.log.info('table created', { table: rec.id, columns: ev.def.columns.length, from: 'event' });
  if (!inInitialSnapshot && ev.op !== 'r') {
    // Seen first in the stream: rows written before it was captured may exist. Fill it by a resnapshot.
    await requestResync(ctx, [rec.id]);
  }
  return rec;
}

/** An event whose schema differs from the replica table's. */
export async function applySchemaChange(ctx: EngineContext, rec: TableRecord, def: TableDef, hash: string): Promise<TableRecord> {
  const plan = planSchemaChange(rec.def, def);
  if (plan.kind === 'same') {
    rec.previousHashes.push({ hash: rec.hash, compatible: true });
    rec.def = def; rec.hash = hash;
  } else if (plan.kind === 'alter') {
    await ctx.replica.alterTable(plan.plan);
    rec.previousHashes.push({ hash: rec.hash, compatible: true });
    rec.def = def; rec.hash = hash;
    ctx.log.info('table altered in place', { table: rec.id, added: plan.plan.addColumns.map((c) => c.name), widened: plan.plan.widenColumns.map((c) => c.name) });
  } else {
    if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
    await ctx.replica.dropTable(rec.def);
    await ctx.replica.createTable(def);
    rec.previousHashes.push({ hash: rec.hash, compatible: false });
    rec.def = def; rec.hash = hash; rec.sweep = null;
    if (rec.state === 'halted') rec.state = 'ok';
    ctx.log.warn('incompatible schema change: table dropped, recreated and resnapshotted', { table: rec.id, reasons: plan.reasons });
    ctx.registry.put(rec);
    await ctx.persist(ctx.registry.takeDirty());
    await requestResync(ctx, [rec.id], `incompatible schema change: ${plan.reasons.join('; ')}`);
    return rec;
  }
  rec.previousHashes = rec.previousHashes.slice(-20);
  ctx.registry.put(rec);
  await ctx.persist(ctx.registry.takeDirty());
  return rec;
}

interface HistoryPayload { tableChanges?: TableChange[]; source?: { connector?: string } }

/**
 * The schema check: new tables are created and snapshotted, changed ones altered or rebuilt, dropped
 * ones dropped. Only history records after the last processed offset can change existing tables.
 */
export async function runSchemaCheck(ctx: EngineContext, opts: { initialLoad: boolean }): Promise<SchemaCheckResult> {
  const result: SchemaCheckResult = { created: [], altered: [], recreated: [], dropped: [], snapshotsRequested: [] };
  const msgs = await readTopicToEnd(ctx.kafka, ctx.topics.schemaHistory);
  const processedBefore = ctx.historyNext === null ? -1n : BigInt(ctx.historyNext) - 1n;
  const latest = new Map<string, { def: TableDef | null; collection: string; fresh: boolean }>();
  let last: string | null = ctx.historyNext;
  for (const m of msgs) {
    last = (BigInt(m.offset) + 1n).toString();
    if (!m.value) continue;
    let payload: HistoryPayload;
    try {
      const v = parseLossless(m.value) as { payload?: HistoryPayload } & HistoryPayload;
      payload = v.payload ?? v;
    } catch (err) {
      ctx.log.warn('unreadable schema-history record skipped', { offset: m.offset, error: (err as Error).message });
      continue;
    }
    const connector = payload.source?.connector ?? 'mysql';
    for (const ch of historyToChanges(payload.tableChanges ?? [], connector)) {
      if (ch.unknownTypes.length) ctx.log.warn('schema history: unknown column types', { table: ch.idParts.join('.'), columns: ch.unknownTypes });
      const name = ch.idParts[ch.idParts.length - 1] ?? '';
      const schema = ch.def?.schema ?? (ch.idParts.length >= 3 ? ch.idParts[ch.idParts.length - 2]! : ch.idParts[0] ?? '');
      if (ctx.filter(schema, name) !== 'mirror') continue;
      latest.set(`${schema}.${name}`.toLowerCase(), { def: ch.type === 'DROP' ? null : ch.def, collection: ch.idParts.join('.'), fresh: BigInt(m.offset) > processedBefore });
    }
  }
  const toSnapshot: string[] = [];
  for (const [id, h] of latest) {
    const rec = ctx.registry.get(id);
    if (!h.def) {
      if (rec && h.fresh) {
        if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
        await ctx.replica.dropTable(rec.def);
        ctx.registry.remove(id);
        await ctx.persist([], [stateIds.table(id)]);
        result.dropped.push(id);
      }
      continue;
    }
    if (!h.def.primaryKey.length) { ctx.log.warn('table without a primary key is not mirrored', { table: id }); continue; }
    if (!rec) {
      await ctx.replica.createTable(h.def);
      ctx.registry.put(newRecord(h.def, h.collection, opts.initialLoad ? 'pending' : 'ok'));
      result.created.push(id);
      if (!opts.initialLoad) toSnapshot.push(id);
      continue;
    }
    const hash = tableHash(h.def);
    if (!h.fresh || hash === rec.hash || rec.previousHashes.some((p) => p.hash === hash)) continue;
    const plan = planSchemaChange(rec.def, h.def);
    await applySchemaChange(ctx, rec, h.def, hash);
    if (plan.kind === 'recreate') { result.recreated.push(id); result.snapshotsRequested.push(id); } else if (plan.kind === 'alter') result.altered.push(id);
  }
  ctx.historyNext = last;
  const rows = ctx.registry.takeDirty();
  if (last !== null) rows.push({ id: stateIds.offset(ctx.topics.schemaHistory, 0), kind: 'offset', value: JSON.stringify({ next: last, at: Date.now() }) });
  await ctx.persist(rows);
  if (toSnapshot.length) result.snapshotsRequested.push(...await requestResync(ctx, toSnapshot));
  return result;
}
