/**
 * Replica tables follow the source: created from the first event of a table (or from the schema-history
 * topic for empty tables), altered in place for compatible changes, dropped + recreated + resnapshotted
 * for incompatible ones. Changes are taken in the order of the schema-history topic (history-log.ts): an
 * older schema never replaces a newer one, and a change and its revert both apply.
 */
import type { EngineContext } from './context.ts';
import { MirrorError } from './errors.ts';
import { isUnsignedBigint } from './decode/unsigned-bigint.ts';
import type { ChangeEvent } from './decode/envelope.ts';
import type { SchemaCheckResult } from './engine-control.ts';
import { planSchemaChange } from './schema/compat.ts';
import { historyToChanges } from './schema/from-history.ts';
import type { TableChange } from './schema/from-history.ts';
import { addEntry, entryOfEvent, incarnationOf, placeEvent, positionOf, renamesIn, streamCannotRebuild, walkChain } from './schema/history-log.ts';
import type { SchemaLog, SchemaLogEntry } from './schema/history-log.ts';
import { sourcePosition } from './schema/source-position.ts';
import type { SourcePos } from './schema/source-position.ts';
import { tableHash } from './schema/table-hash.ts';
import { tableId } from './schema/table-model.ts';
import type { TableDef } from './schema/table-model.ts';
import { parseLossless } from './decode/json.ts';
import { readTopicToEnd } from './source/read-topic.ts';
import { fetchWatermarks } from './source/watermarks.ts';
import { markResync, requestResync, signalResync } from './snapshot/resync.ts';
import { followTableFilter } from './left-out-tables.ts';
import { followUnmirrored, tableRefusal } from './unmirrored-tables.ts';
import { stateIds } from './state/records.ts';
import type { TableRecord } from './state/records.ts';

/** One schema change as applied to the replica (what `update-schema` reports: never a guess). */
export interface AppliedSchemaChange { seq: number; at: number; table: string; change: 'created' | 'altered' | 'recreated' | 'dropped' | 'snapshot requested'; detail: string | null }

const appliedLog = new WeakMap<EngineContext, AppliedSchemaChange[]>();
let appliedSeq = 0;

function noteApplied(ctx: EngineContext, table: string, change: AppliedSchemaChange['change'], detail: string | null = null): void {
  const list = appliedLog.get(ctx) ?? [];
  list.push({ seq: ++appliedSeq, at: Date.now(), table, change, detail });
  if (list.length > 500) list.splice(0, list.length - 500);
  appliedLog.set(ctx, list);
}

/** What was applied after `after` (a `seq`, or `{ sinceMs }`): by schema checks and by events alike. */
export function appliedSchemaChanges(ctx: EngineContext, after: number | { sinceMs: number }): SchemaCheckResult {
  const list = (appliedLog.get(ctx) ?? []).filter((c) => (typeof after === 'number' ? c.seq > after : c.at >= after.sinceMs));
  const ids = (k: AppliedSchemaChange['change']) => [...new Set(list.filter((c) => c.change === k).map((c) => c.table))];
  return {
    created: ids('created'), altered: ids('altered'), recreated: ids('recreated'), dropped: ids('dropped'), snapshotsRequested: ids('snapshot requested'),
    changes: list.map(({ at, table, change, detail }) => ({ at, table, change, detail })),
  };
}

function newRecord(def: TableDef, collection: string, state: TableRecord['state'], schemaPos: string | null): TableRecord {
  const now = Date.now();
  return {
    id: tableId(def), schema: def.schema, name: def.name, collection, def, hash: tableHash(def), previousHashes: [],
    state, staleReason: null, error: null, sweep: null,
    snapshot: state === 'snapshotting' || state === 'pending' ? { kind: 'initial', rowsSeen: 0, rowsExpected: null, startedAt: now } : null,
    createdAt: now, schemaPos,
  };
}

const processedBefore = (ctx: EngineContext): bigint => (ctx.historyNext === null ? -1n : BigInt(ctx.historyNext) - 1n);

interface HistoryPayload { tableChanges?: TableChange[]; source?: { connector?: string; snapshot?: unknown } & Record<string, unknown>; position?: { snapshot?: unknown } & Record<string, unknown>; ddl?: string; databaseName?: string }

/** Reads the whole schema-history topic into `ctx.schemaLog`; returns the next offset after it. */
async function loadSchemaLog(ctx: EngineContext): Promise<string | null> {
  const msgs = await readTopicToEnd(ctx.kafka, ctx.topics.schemaHistory);
  const log: SchemaLog = new Map();
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
    // Written by a snapshot: `source.snapshot` (schema change topic) or `position.snapshot` (internal history).
    const bySnapshot = [payload.source?.snapshot, payload.position?.snapshot].some((v) => v !== undefined && v !== null && v !== false && v !== 'false');
    const src = sourcePosition(payload.source) ?? sourcePosition(payload.position);
    // A rename is the old name going away (the new name arrives as its own table): no ghost is left.
    const renames = renamesIn(payload.ddl, payload.databaseName);
    const renamedTo = new Set(renames.map((r) => tableId({ schema: r.to[r.to.length - 2] ?? '', name: r.to[r.to.length - 1] ?? '' })));
    for (const r of renames) {
      const [db, table] = [r.from[r.from.length - 2] ?? '', r.from[r.from.length - 1] ?? ''];
      if (ctx.filter(db, table) === 'mirror') addEntry(log, tableId({ schema: db, name: table }), BigInt(m.offset), null, r.from.join('.'), false, src);
    }
    for (const ch of historyToChanges(payload.tableChanges ?? [], payload.source?.connector ?? 'mysql', payload.ddl)) {
      if (ch.unknownTypes.length) ctx.log.warn('schema history: unknown column types', { table: ch.idParts.join('.'), columns: ch.unknownTypes });
      const name = ch.idParts[ch.idParts.length - 1] ?? '';
      const schema = ch.def?.schema ?? (ch.idParts.length >= 3 ? ch.idParts[ch.idParts.length - 2]! : ch.idParts[0] ?? '');
      if (ctx.filter(schema, name) !== 'mirror') continue;
      const id = tableId({ schema, name });
      addEntry(log, id, BigInt(m.offset), ch.type === 'DROP' ? null : ch.def, ch.idParts.join('.'), bySnapshot, src, ch.type !== 'DROP' && renamedTo.has(id));
    }
  }
  ctx.schemaLog = log;
  ctx.decoder.setUnsignedBigints(unsignedBigintsOf(log));
  ctx.schemaLogHigh = last === null ? -1n : BigInt(last);
  ctx.schemaLogCheckedAt = Date.now();
  return last;
}

/** BIGINT UNSIGNED columns of each table's latest definition: the decoder reads them unsigned (unsigned-bigint.ts). */
function unsignedBigintsOf(log: SchemaLog): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [id, entries] of log) {
    const def = entries[entries.length - 1]?.def;
    const cols = def?.columns.filter((c) => c.sourceType !== undefined && isUnsignedBigint(c.sourceType)).map((c) => c.name) ?? [];
    if (cols.length) out.set(id, new Set(cols));
  }
  return out;
}

/**
 * An event decoded before the history said its table has BIGINT UNSIGNED columns (a table created after
 * the last read, with a connector that does not propagate source types) carries them signed: refuse it
 * rather than write 2^64 − 1 as −1.
 */
function refuseSignedUnsigned(ctx: EngineContext, ev: ChangeEvent): void {
  const hist = ctx.schemaLog?.get(tableId(ev.def))?.at(-1)?.def;
  if (!hist) return;
  for (const c of ev.def.columns) {
    const h = hist.columns.find((x) => x.name === c.name);
    if (c.type.kind === 'int' && c.sourceType === undefined && h?.sourceType !== undefined && isUnsignedBigint(h.sourceType)) {
      throw new MirrorError('DECODE_FAILED',
        `column ${c.name} of ${tableId(ev.def)} is BIGINT UNSIGNED in the schema history but this event was decoded before it was read, ` +
        'as a signed int64 (the connector does not propagate source types). The event is not applied; resync the table ' +
        '(tenant-mirror resync-tables), or set column.propagate.source.type=.* on the connector.',
        { detail: { table: tableId(ev.def), column: c.name } });
    }
  }
}

/** The schema history's end (its highest high watermark), or null when it cannot be read now. */
async function historyEnd(ctx: EngineContext): Promise<bigint | null> {
  const marks = await fetchWatermarks(ctx.admin, ctx.topics.schemaHistory).catch(() => null);
  return marks ? [...marks.values()].reduce((n, w) => (BigInt(w.high) > n ? BigInt(w.high) : n), 0n) : null;
}

/** Has the schema history grown since it was last read? */
async function historyGrew(ctx: EngineContext): Promise<boolean> {
  const high = await historyEnd(ctx) ?? ctx.schemaLogHigh;
  ctx.schemaLogCheckedAt = Date.now();
  return !ctx.schemaLog || high > ctx.schemaLogHigh;
}

/**
 * Has the history been read past the last schema check (an event's placement re-read it: a table seen
 * first in the stream, say)? Then the records read hold changes to other tables — a DROP or RENAME before
 * that table's CREATE — which the next check applies: without a call to the broker, so every tick may ask.
 */
export function historyReadAhead(ctx: EngineContext): boolean {
  return ctx.schemaLog !== null && ctx.schemaLogHigh > (ctx.historyNext === null ? 0n : BigInt(ctx.historyNext));
}

/**
 * Does the schema history hold records no schema check has taken yet? Not the same as `historyGrew`: an
 * event's placement re-reads the history but moves only its own table, and a change to a table with no
 * event since (a column dropped) is applied by a check alone (scenario d2: a dropped column was kept
 * because placement had read past it, and the tick asked only whether the history had grown since).
 */
export async function historyUnchecked(ctx: EngineContext): Promise<boolean> {
  const high = await historyEnd(ctx);
  return high !== null && high > (ctx.historyNext === null ? 0n : BigInt(ctx.historyNext));
}

/**
 * Re-reads the history when it grew since the last read (checked at most once a second, unless `now`:
 * an event whose schema the history read so far cannot place; Debezium stores a schema change in the
 * history before it sends the events written with it, so the history holds it by the time they are read).
 */
async function refreshSchemaLog(ctx: EngineContext, now = false): Promise<void> {
  if (!now && ctx.schemaLog && Date.now() - ctx.schemaLogCheckedAt < 1000) return;
  if (await historyGrew(ctx)) await loadSchemaLog(ctx);
}

/**
 * An event of a table the replica does not have, which the schema history says the source has dropped
 * (or renamed away) since and not created again: it predates the drop (read from a partition behind the
 * history). Creating the table from it would bring back a ghost; it is skipped (rows of a table that no
 * longer exists are not needed; a renamed table is resnapshotted under its new name).
 */
export async function droppedAtSource(ctx: EngineContext, ev: ChangeEvent): Promise<boolean> {
  await refreshSchemaLog(ctx, true);
  const entries = ctx.schemaLog?.get(tableId(ev.def));
  const latest = entries?.[entries.length - 1];
  return latest !== undefined && latest.def === null && !latest.snapshot;
}

/**
 * A replica table already there for a source table the registry has no record of is dropped, so the table
 * is created from the source's definition and filled like a new one; returns how many rows it held (null:
 * no such table). Such a table was not written under this replica's state — left by an earlier mirror whose
 * _ReplicationState was dropped, a legacy replica provisioned into, a table created after a backup the
 * replica was put back to, or a kill between its CREATE and its record (empty) — so neither its rows nor
 * its columns can be trusted: an initial snapshot that only upserts kept rows the source never had, and a
 * column of another type (a decimal declared REAL, numeric(18,0)) turned every value written into it
 * (silently different rows, until 2026-12-07 night and 2026-12-08).
 */
async function dropUnrecordedTable(ctx: EngineContext, def: TableDef): Promise<number | null> {
  if (!(await ctx.replica.tableExists(def))) return null;
  const n = await ctx.replica.countRows(def);
  await ctx.replica.dropTable(def);
  ctx.log.warn('the replica already held a table it has no record of: dropped and created again from the source\'s definition, then filled from the source', { table: tableId(def), rows: n });
  return n;
}

const unrecordedNote = (n: number | null): string => (n === null ? '' : `; the replica already held a table of that name with no record of it (${n} row(s)): dropped and created again from the source's definition`);

/** First event of a table the replica does not have. */
export async function createTableFromEvent(ctx: EngineContext, ev: ChangeEvent): Promise<TableRecord> {
  await refreshSchemaLog(ctx, true);
  refuseSignedUnsigned(ctx, ev);
  const unrecorded = await dropUnrecordedTable(ctx, ev.def);
  const inInitialSnapshot = ev.op === 'r' && ev.snapshot !== 'incremental';
  await ctx.replica.createTable(ev.def);
  const known = entryOfEvent(ctx.schemaLog?.get(tableId(ev.def)) ?? [], ev.defHash, sourcePosition(ev.source));
  const rec = newRecord(ev.def, ev.collection, inInitialSnapshot ? 'snapshotting' : 'ok', known ? known.pos.toString() : null);
  ctx.registry.put(rec);
  // Seen first in the stream: rows written before it was captured may exist. It is filled by a resnapshot,
  // stored with the new record (a kill between the two would leave it 'ok' and never filled).
  const fill = !inInitialSnapshot && ev.op !== 'r';
  // Events of an earlier incarnation (dropped and created again, read from a partition behind) are left
  // to the resync: a DROP TABLE deletes no row by event, so a row of one would outlive the sweep.
  if (fill) rec.rebuiltSrc = incarnationOf(ctx.schemaLog?.get(rec.id) ?? [])?.src ?? sourcePosition(ev.source);
  if (fill) await requestResync(ctx, [rec.id]);
  else await ctx.persist(ctx.registry.takeDirty());
  ctx.log.info('table created', { table: rec.id, columns: ev.def.columns.length, from: 'event' });
  noteApplied(ctx, rec.id, 'created', `from its first change event, ${ev.def.columns.length} columns${unrecordedNote(unrecorded)}`);
  if (fill) noteApplied(ctx, rec.id, 'snapshot requested', 'seen first in the stream: filled by a snapshot');
  return rec;
}

/**
 * Moves a table to a new definition: in place when every step is compatible, else (or when `incompatible`
 * lists steps of the history that were not) dropped, recreated and resnapshotted. `target`: the history
 * entry of the new definition, stored with it (its position, and for a rebuild where the source made it).
 */
export interface SchemaChangeOpts {
  /** Steps of the history between the table's definition and the new one that were not compatible. */
  incompatible?: string[];
  /** Steps of the history between that added columns whose value in existing rows only the source knows. */
  refill?: string[];
  /** The history entry of the new definition. */
  target?: SchemaLogEntry;
  /** What asked for the change (logged). */
  by?: string;
  /**
   * Where the event that brought a definition the history does not hold was written: a rebuild then
   * supersedes every event written before it (the change was made there or earlier).
   */
  writtenAt?: SourcePos | null;
}

export async function applySchemaChange(ctx: EngineContext, rec: TableRecord, def: TableDef, hash: string, opts: SchemaChangeOpts = {}): Promise<TableRecord> {
  const { incompatible = [], target, by = 'schema check' } = opts;
  const from = rec.schemaPos ?? null;
  const plan = planSchemaChange(rec.def, def);
  const reasons = [...new Set([...incompatible, ...(plan.kind === 'recreate' ? plan.reasons : [])])]; // a one-step change is in both
  const refill = [...new Set([...(opts.refill ?? []), ...(plan.kind === 'alter' ? plan.refill : [])])];
  // Stored in the same write as the definition: stored after it, a kill between left the table at the new
  // definition with the old position, and the next event of it was taken for a change again (rebuilt twice).
  // Moved once the DDL succeeded: moved before, a DDL the replica refused (a view on the table blocks its
  // DROP) left the old definition at the new position, so no check ever found the change again, and the
  // table's resync skipped every row of its scan as of an older schema ("ok", 0 of 148 rows, 2026-12-06).
  const moved = (): void => { if (target) rec.schemaPos = target.pos.toString(); };
  if (!reasons.length && plan.kind === 'same') {
    moved();
    rec.previousHashes.push({ hash: rec.hash, compatible: true });
    rec.def = def; rec.hash = hash;
  } else if (!reasons.length && plan.kind === 'alter') {
    await ctx.replica.alterTable(plan.plan);
    moved();
    rec.previousHashes.push({ hash: rec.hash, compatible: true });
    rec.def = def; rec.hash = hash;
    ctx.log.info('table altered in place', { table: rec.id, added: plan.plan.addColumns.map((c) => c.name), widened: plan.plan.widenColumns.map((c) => c.name) });
    const added = plan.plan.addColumns.map((c) => c.name);
    const widened = plan.plan.widenColumns.map((c) => c.name);
    noteApplied(ctx, rec.id, 'altered', [added.length ? `added ${added.join(', ')}` : '', widened.length ? `widened ${widened.join(', ')}` : ''].filter(Boolean).join('; ') || null);
  } else {
    if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
    ctx.registry.rowsUnknown(rec.id);
    await ctx.replica.dropTable(rec.def);
    await ctx.replica.createTable(def);
    moved();
    ctx.registry.rowsCounted(rec.id, 0); // recreated empty
    rec.previousHashes.push({ hash: rec.hash, compatible: false });
    rec.def = def; rec.hash = hash; rec.sweep = null; rec.snapshot = null;
    // Without it (a rebuild for a definition the history did not hold) an event written before the change,
    // read late from a partition behind, was applied to the rebuilt table and marked seen by its resync,
    // and its delete, of a definition the table no longer fits, skipped: a ghost row (CI 2026-12-03).
    rec.rebuiltSrc = target?.src ?? opts.writtenAt ?? null;
    if (rec.state === 'halted') { rec.state = 'ok'; rec.error = null; }
    ctx.log.warn('incompatible schema change: table dropped, recreated and resnapshotted', { table: rec.id, reasons, by, history: `${from ?? '?'} -> ${target?.pos ?? '?'}` });
    noteApplied(ctx, rec.id, 'recreated', reasons.join('; '));
    ctx.registry.put(rec);
    // The new definition is stored in the same write as its resync: stored alone, a kill before the
    // resync's write left the table empty, recorded 'ok' at the new definition, and never refilled
    // (CI 2026-12-01: contact 4 rows of 859, state ok). Before that write, a restart still sees the old
    // definition and rebuilds again.
    await requestResync(ctx, [rec.id], `incompatible schema change: ${reasons.join('; ')}`);
    noteApplied(ctx, rec.id, 'snapshot requested', 'recreated: refilled by a snapshot');
    return rec;
  }
  rec.previousHashes = rec.previousHashes.slice(-20);
  ctx.registry.put(rec);
  if (refill.length) {
    // The rows the table has keep their other columns; the added ones hold the replica's default until
    // the resync rewrites every row. The table says so meanwhile (resyncing, with the reason). The new
    // definition and the resync are one write (see the rebuild above).
    ctx.log.warn('column added with values only the source has: rows refilled by a resync in place', { table: rec.id, reasons: refill, by });
    // A resync already running is not joined: rows its scan read before the change lack the values.
    if (rec.sweep?.kind === 'incremental') { await ctx.replica.cancelSweep(rec.def); rec.sweep = null; rec.snapshot = null; }
    await requestResync(ctx, [rec.id], `schema change: ${refill.join('; ')}; every row is rewritten by a resync`);
    noteApplied(ctx, rec.id, 'snapshot requested', `refilled in place: ${refill.join('; ')}`);
    return rec;
  }
  await ctx.persist(ctx.registry.takeDirty());
  return rec;
}

/**
 * An event whose schema is not the table's: a newer definition is applied (with every step between), an
 * older one is applied as far as the table holds it (`apply`), or skipped when a rebuild's resnapshot
 * supersedes it (`skip`).
 */
export async function placeEventSchema(ctx: EngineContext, rec: TableRecord, ev: ChangeEvent): Promise<{ rec: TableRecord; action: 'apply' | 'skip' }> {
  if (rec.hash === ev.defHash) return { rec, action: 'apply' };
  const place = async () => {
    const entries: SchemaLogEntry[] = ctx.schemaLog?.get(rec.id) ?? [];
    const at = positionOf(entries, rec.hash, rec.schemaPos, processedBefore(ctx));
    return { entries, at, p: placeEvent(entries, rec.def, at, ev.defHash, ev.def, src) };
  };
  const src = sourcePosition(ev.source);
  let r = await place();
  // Placed by hash alone while the event says where it was written: the history read may end before its
  // schema (a newer definition hashing like an older one would be taken for the older).
  const byHash = r.p.kind !== 'unknown' && !r.p.byPosition && src !== null;
  // Re-read at once: placed from a history read a moment before the change, the table was rebuilt with
  // no history entry, so at no known position (CI 2026-12-03: rebuilt twice in 56 ms, then a ghost row).
  if (r.p.kind === 'unknown' || (r.p.kind === 'older' && !r.p.fits) || byHash) { await refreshSchemaLog(ctx, true); r = await place(); }
  if (r.p.kind === 'newer') {
    const pos = r.p.pos;
    const chain = walkChain(rec.def, r.entries, r.at, pos);
    const out = await applySchemaChange(ctx, rec, ev.def, ev.defHash, {
      incompatible: chain.kind === 'change' ? chain.incompatible : [], refill: chain.kind === 'change' ? chain.refill : [],
      target: r.entries.find((e) => e.pos === pos), by: `an event written at ${src ?? 'an unknown position'}`,
    });
    ctx.registry.put(out);
    return { rec: out, action: 'apply' };
  }
  if (r.p.kind === 'older') return { rec, action: r.p.fits ? 'apply' : 'skip' };
  // Not in the history (none readable, or a connector without one): by the event alone.
  const prev = rec.previousHashes.find((h) => h.hash === ev.defHash);
  if (prev && !prev.compatible) return { rec, action: 'skip' };
  if (prev) return { rec, action: 'apply' };
  return { rec: await applySchemaChange(ctx, rec, ev.def, ev.defHash, { by: `an event written at ${src ?? 'an unknown position'}, its schema not in the history`, writtenAt: src }), action: 'apply' };
}

/** Halted by a schema change the replica refused: its events are skipped without trying the DDL again per event (the schema check tries it). */
export function haltedByRefusedChange(rec: TableRecord): boolean {
  return rec.state === 'halted' && (rec.error?.detail as { refusedChange?: boolean } | undefined)?.refusedChange === true;
}

/**
 * A schema change the replica refused (a view on the table blocks its DROP or a column's new type, a column
 * name PostgreSQL would truncate): the table is halted, saying why and what to do; true. False when the
 * error is not the table's (transient, the lease, the replica gone back): the caller throws it. The change
 * stays to be made (its position was not moved): the next schema check (`update-schema`, hourly, at start)
 * tries it again, and refills the table once it is made (haltIfRefused).
 */
export function haltRefusedChange(ctx: EngineContext, rec: TableRecord, err: unknown): boolean {
  if (tableRefusal(ctx, err) === null) return false;
  const c = ctx.replica.classifyError(err);
  const code = c.code === 'REPLICA_WRITE_FAILED' ? 'SCHEMA_CONFLICT' : c.code;
  rec.state = 'halted';
  rec.error = {
    code, retriable: false, detail: { table: rec.id, refusedChange: true },
    message: `the replica refused a schema change of the table: ${c.hint.replace(/[.;]\s*$/, '')}. Once that is resolved, \`tenant-mirror update-schema\` (or the next schema check) makes the change and refills the table`,
  };
  ctx.registry.put(rec);
  ctx.log.error('schema change refused by the replica: table halted', { table: rec.id, code, error: (err as Error).message });
  ctx.events.emit('error', { error: rec.error, table: rec.id });
  return true;
}

/**
 * The schema check's change of one table, halting it when the replica refuses (the check goes on with the
 * others: it stopped, every `sync` exited 1, no table applied). A table halted by a refused change that is
 * made now missed its changes meanwhile: it is refilled by a resync (a rebuild asks for one itself).
 */
async function haltIfRefused(ctx: EngineContext, rec: TableRecord, change: () => Promise<TableRecord>): Promise<void> {
  const refusedBefore = haltedByRefusedChange(rec);
  let out: TableRecord;
  // No position to put back: applySchemaChange moves it only once the DDL succeeded (put back after a later
  // step failed, it would have paired the new definition with the old position).
  try { out = await change(); } catch (err) {
    if (!haltRefusedChange(ctx, rec, err)) throw err;
    return;
  }
  ctx.registry.put(out);
  if (refusedBefore && out.state === 'halted') {
    await requestResync(ctx, [out.id], 'a schema change the replica had refused is made now: the table is refilled');
    noteApplied(ctx, out.id, 'snapshot requested', 'refilled: halted by the refused change, it missed changes meanwhile');
  }
}

/**
 * The schema check: new tables are created and snapshotted, changed ones moved to their newest
 * definition (rebuilt when any step since their own was incompatible), dropped ones dropped.
 */
export async function runSchemaCheck(ctx: EngineContext, opts: { initialLoad: boolean }): Promise<SchemaCheckResult> {
  const mark = appliedSeq;
  const last = await loadSchemaLog(ctx);
  const processed = processedBefore(ctx);
  const toSnapshot: string[] = [];
  const letInNow: string[] = [];
  const refused = new Map<string, string>();
  for (const [id, entries] of ctx.schemaLog ?? new Map<string, SchemaLogEntry[]>()) {
    const latest = entries[entries.length - 1]!;
    const rec = ctx.registry.get(id);
    if (!rec) {
      if (!latest.def) continue; // dropped at the source
      if (!latest.def.primaryKey.length) continue; // not mirrored, and said so (followUnmirrored below)
      // Taken by an earlier check yet not registered: the tables setting left it out then (the history is
      // read through the filter) and lets it in now. Filled by a resync like a new table, even during an
      // initial load (the load running may have been asked for without it): it was left out silently, the
      // replica "caught up" without the table, until its first change event.
      const letIn = latest.pos <= processed;
      // An initial load fills a table by the snapshot and the stream that follows it, unless the stream
      // cannot: renamed into its name, dropped and created again, or changed in a way its older rows do not
      // fit, since (a fresh replica replaying the topic merged the rows of every incarnation of the name,
      // skipped rows of an older schema, swept none, and said "completed successfully").
      const reborn = opts.initialLoad ? streamCannotRebuild(entries) : null;
      let unrecorded: number | null = null;
      try {
        unrecorded = await dropUnrecordedTable(ctx, latest.def);
        await ctx.replica.createTable(latest.def);
      } catch (err) {
        const why = tableRefusal(ctx, err);
        if (why === null) throw err;
        refused.set(id, why); // said missing with why (followUnmirrored below); the other tables go on
        continue;
      }
      const load = opts.initialLoad && !letIn && reborn === null;
      const created = newRecord(latest.def, latest.collection, load ? 'pending' : 'ok', latest.pos.toString());
      if (!load) created.rebuiltSrc = incarnationOf(entries)?.src ?? null; // as for a table first seen in the stream
      ctx.registry.put(created);
      noteApplied(ctx, id, 'created', `from the schema history, ${latest.def.columns.length} columns${letIn ? '; let in by the tables setting' : reborn !== null ? `; ${reborn}: filled by a resync` : ''}${unrecordedNote(unrecorded)}`);
      if (!load) toSnapshot.push(id);
      if (letIn) letInNow.push(id);
      continue;
    }
    const at = positionOf(entries, rec.hash, rec.schemaPos, processed);
    const chain = walkChain(rec.def, entries, at, null);
    if (chain.kind === 'none') {
      if (rec.schemaPos === null || rec.schemaPos === undefined) { rec.schemaPos = at.toString(); ctx.registry.put(rec); }
      // The history entry the table stands at now maps to a wider definition than the table's (this version
      // maps a source type differently, e.g. MySQL TIME to a duration): widened in place, nothing else.
      const here = entries.filter((e) => e.pos <= at).pop();
      if (here?.def && here.hash && here.hash !== rec.hash && planSchemaChange(rec.def, here.def).kind === 'alter') {
        await haltIfRefused(ctx, rec, () => applySchemaChange(ctx, rec, here.def!, here.hash!, { target: here })); // reported by applySchemaChange (noteApplied)
      }
      continue;
    }
    // Its primary key dropped at the source: its rows can no longer be told apart (its events come without
    // a key), so it is not mirrored: dropped here like a dropped table, then said missing with why
    // (followUnmirrored); given a key again, it is created and filled as a new table.
    const keyDropped = chain.kind === 'change' && !chain.def.primaryKey.length;
    if (chain.kind === 'dropped' || keyDropped) {
      if (rec.sweep) await ctx.replica.cancelSweep(rec.def);
      await ctx.replica.dropTable(rec.def);
      ctx.registry.remove(id);
      await ctx.persist([], [stateIds.table(id)]);
      noteApplied(ctx, id, 'dropped', keyDropped ? 'its primary key was dropped at the source: not mirrored until it has one' : 'dropped at the source');
      ctx.log.warn(keyDropped ? 'primary key dropped at the source: table dropped in the replica, not mirrored' : 'table dropped at the source: dropped in the replica', { table: id });
      continue;
    }
    const to = chain.def;
    await haltIfRefused(ctx, rec, () => applySchemaChange(ctx, rec, to, tableHash(to), { incompatible: chain.incompatible, refill: chain.refill, target: latest }));
  }
  // New tables' resyncs are stored with their records and the history position (one write: a kill cannot
  // leave a new table recorded without the snapshot that fills it), then signalled.
  const again = await followTableFilter(ctx);
  const filling = toSnapshot.length || again.length ? await markResync(ctx, [...toSnapshot, ...again]) : [];
  ctx.historyNext = last;
  const keyless = ctx.schemaLog ? followUnmirrored(ctx, ctx.schemaLog, refused) : { rows: [], remove: [] };
  const rows = [...ctx.registry.takeDirty(), ...keyless.rows];
  if (last !== null) rows.push({ id: stateIds.offset(ctx.topics.schemaHistory, 0), kind: 'offset', value: JSON.stringify({ next: last, at: Date.now() }) });
  await ctx.persist(rows, keyless.remove);
  if (filling.length) for (const id of await signalResync(ctx, filling)) noteApplied(ctx, id, 'snapshot requested', again.includes(id) ? 'let in again by the tables setting: resynced' : letInNow.includes(id) ? 'let in by the tables setting: filled by a snapshot' : 'new table: filled by a snapshot');
  // The report is what was applied during this check (noted where the DDL ran), not a prediction.
  return appliedSchemaChanges(ctx, mark);
}
