/**
 * The apply loop for one run of messages of one `<ctx>-cdc` partition:
 * decode → filter → table exists / schema current (flush before DDL) → reduce per table and key →
 * one transaction with the rows and the partition's next offset. Poison events are kept with their
 * offset and reason, and their table is halted; nothing is dropped silently.
 */
import type { KafkaMessage } from 'kafkajs';
import type { EngineContext } from '../context.ts';
import type { ChangeEvent } from '../decode/envelope.ts';
import { snapshotKeyOf } from '../decode/envelope.ts';
import { fullValue } from '../decode/compact.ts';
import { parseLossless } from '../decode/json.ts';
import { MirrorError } from '../errors.ts';
import type { ApplyUnit, StateRow } from '../replica/replica.ts';
import { tableId } from '../schema/table-model.ts';
import { createTableFromEvent, droppedAtSource, haltedByRefusedChange, haltRefusedChange, placeEventSchema } from '../schema-sync.ts';
import { classifySnapshotRecord } from '../snapshot/attempts.ts';
import type { AttemptVerdict } from '../snapshot/attempts.ts';
import { checkFences } from '../snapshot/check.ts';
import { clearStallOnRows, fullSnapshotMoved } from '../snapshot/stall.ts';
import { noteAppliedTs } from '../snapshot/fence.ts';
import { noteStreamed } from '../source/connector-behind.ts';
import { beginFullSnapshot, fullSnapshotEnd, restartFullSnapshot } from '../snapshot/full-snapshot.ts';
import { stateIds } from '../state/records.ts';
import type { PoisonRecord, TableRecord } from '../state/records.ts';
import { keyValues, TableBuffer } from './reducer.ts';
import { writeUnit } from './writer.ts';
import { retrying } from './control-retry.ts';
import { POISON_KEEP, poisonRows } from './poison-book.ts';
import { recentWrites } from './recent-writes.ts';
import { truncateTable } from '../snapshot/sweep.ts';
import { comparePositions, sourcePosition } from '../schema/source-position.ts';
import { entryAt } from '../schema/history-log.ts';
import { requestResync } from '../snapshot/resync.ts';

const TRUNCATE_REASON = 'TRUNCATE at the source: the table is resynced, because its truncate record may have been read out of order with rows written just before or after it';

/** Errors after which a chunk goes no further (never a poison event): the lease was lost, or the replica went back. */
function endsProcessing(err: unknown): boolean {
  const code = MirrorError.from(err).code;
  return code === 'REPLICA_LEASE_LOST' || code === 'REPLICA_WENT_BACK';
}

export interface BatchResult { events: number; tables: string[]; ms: number }

function guessTable(raw: string | null): { schema: string | null; table: string | null } {
  if (!raw) return { schema: null, table: null };
  const t = /"table"\s*:\s*"([^"]+)"/.exec(raw)?.[1] ?? null;
  const s = /"(?:schema|db)"\s*:\s*"([^"]+)"/.exec(raw)?.[1] ?? null;
  return { schema: s, table: t };
}

const END_MARK = Buffer.from('"snapshot":"last"');

/** A full snapshot's `last` record the engine does not apply: the attempt's identity, or null. */
function snapshotEndKey(value: Buffer | null): string | null {
  // A compacted value (compact.ts) is the payload, where the mark is: the schema part never holds it.
  if (!value || value.indexOf(END_MARK) < 0) return null;
  try {
    const p = (parseLossless(fullValue(value)!.toString('utf8')) as { payload?: { op?: unknown; source?: Record<string, unknown> } }).payload;
    return p?.op === 'r' && p.source?.snapshot === 'last' ? snapshotKeyOf(p.source) : null;
  } catch {
    return null; // not even JSON: nothing can be known of it (the poison record says where it is)
  }
}

/** A record of the running full-snapshot attempt (or the one it starts). */
const ofAttempt = (verdict: AttemptVerdict | null): boolean => verdict === 'current' || verdict === 'start' || verdict === 'restart';

const isEnd = (ev: ChangeEvent, verdict: AttemptVerdict | null): boolean => ev.op === 'r' && ev.snapshot === 'last' && ofAttempt(verdict);

const progressSaved = new Map<string, number>();

/** Kafka timestamp of a message, when it has one. */
const kafkaTs = (m: KafkaMessage | null): number | null => (m && Number.isFinite(Number(m.timestamp)) ? Number(m.timestamp) : null);

/** Kafka timestamp of the message at `offset` (the last applied: stored with the offset, offset-check.ts). */
function timestampAt(messages: KafkaMessage[], offset: bigint): number | undefined {
  const want = offset.toString();
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.offset === want) return Number(messages[i]!.timestamp);
  return undefined;
}

export async function processMessages(ctx: EngineContext, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>): Promise<BatchResult> {
  const started = Date.now();
  let buffers = new Map<string, TableBuffer>();
  let extra: StateRow[] = [];
  let first: bigint | null = null;
  let last: bigint | null = null;
  /** The message being processed (a `last` marker's Kafka timestamp is the fence's time, snapshot/fence.ts). */
  let inHand: KafkaMessage | null = null;
  let events = 0;
  const touched = new Set<string>();
  let maxSourceTs = 0;
  const olderSchemas = new Map<string, 'apply' | 'skip'>();
  const dropped = new Set<string>();
  const mirrored = (schema: string, name: string): boolean => ctx.filter(schema, name) === 'mirror';
  /**
   * A record of the running attempt received for a swept table and not applied because something later
   * supersedes it (a TRUNCATE, a rebuild): delivered all the same (records.ts, rowsSkipped). Stored with
   * the next flush, which moves the offset past it.
   */
  const superseded = (rec: TableRecord, ev: ChangeEvent, verdict: AttemptVerdict | null): void => {
    if (ev.op !== 'r' || rec.sweep?.kind !== 'full' || !ofAttempt(verdict)) return;
    rec.sweep.rowsSkipped = (rec.sweep.rowsSkipped ?? 0) + 1;
    ctx.registry.put(rec);
  };

  const flush = async (): Promise<void> => {
    if (last === null) return;
    const tables = [...buffers.values()].filter((b) => b.entries.size > 0);
    const next = last + 1n;
    const changes = tables.map((b) => b.toChanges());
    const recent = recentWrites(ctx);
    for (const b of tables) {
      // Every write is noted, marked or not: a restart of the snapshot wipes the marks (recent-writes.ts).
      const id = tableId(b.def);
      const pk = b.def.primaryKey;
      for (const [k, e] of b.entries) recent.note(id, k, e.del ? null : keyValues(pk, e.row), e.ts);
      b.entries.clear(); // the unit holds the rows now
    }
    // Snapshot counters go into the same transaction as the rows they count (a kill cannot lose them): a
    // resync's report must be exact; the initial load's progress is stored at most every 2 s per table.
    const now0 = Date.now();
    for (const b of tables) {
      if (!b.snapshotRows) continue;
      const rec = ctx.registry.get(tableId(b.def));
      if (!rec) continue;
      if (rec.snapshot) rec.snapshot.rowsSeen += b.snapshotRows;
      if (rec.snapshot?.kind === 'initial' && ctx.fullSnapshot) fullSnapshotMoved(ctx, now0);
      // Waiting for the initial snapshot to reach it until its first row: the status says it is read now.
      const reached = rec.state === 'pending';
      if (reached) rec.state = 'snapshotting';
      if (rec.sweep) { rec.sweep.rowsApplied = (rec.sweep.rowsApplied ?? 0) + b.snapshotRows; rec.sweep.progressAt = now0; clearStallOnRows(rec); }
      if (reached || rec.sweep || now0 - (progressSaved.get(rec.id) ?? 0) > 2000) { ctx.registry.put(rec); progressSaved.set(rec.id, now0); }
    }
    const unit: ApplyUnit = {
      position: { id: stateIds.offset(ctx.topics.cdc, partition), next: ctx.nextOffsets.get(partition)?.toString() ?? null },
      tables: changes,
      state: [...ctx.registry.takeDirty(), ...extra, { id: stateIds.offset(ctx.topics.cdc, partition), kind: 'offset' as const, value: JSON.stringify({ next: next.toString(), at: Date.now(), ts: timestampAt(messages, last) }) }],
    };
    await writeUnit(ctx, unit, { heartbeat, offsetRange: `${partition}:${first}-${last}` });
    ctx.nextOffsets.set(partition, next);
    noteAppliedTs(ctx, partition, timestampAt(messages, last));
    const now = Date.now();
    for (const b of tables) {
      const id = tableId(b.def);
      const c = ctx.registry.counter(id);
      c.eventsApplied += b.events;
      c.lastAppliedAt = now;
      if (b.lastSourceTs) c.lastSourceTs = Math.max(c.lastSourceTs ?? 0, b.lastSourceTs);
    }
    buffers = new Map();
    extra = [];
    first = null;
  };

  const poison = async (off: bigint, m: KafkaMessage, err: unknown, ev: ChangeEvent | null): Promise<void> => {
    const e = MirrorError.from(err, 'DECODE_FAILED');
    const raw = fullValue(m.value ?? null)?.toString('utf8') ?? null;
    const g = ev ? { schema: ev.def.schema, table: ev.def.name } : guessTable(raw);
    const id = g.table ? tableId({ schema: g.schema ?? '', name: g.table }) : null;
    const rec = id ? ctx.registry.get(id) ?? ctx.registry.lookup(id) : undefined;
    const where = `${ctx.topics.cdc}:${partition}:${off}`;
    const p: PoisonRecord = {
      topic: ctx.topics.cdc, partition, offset: off.toString(), table: rec?.id ?? id, code: e.code, reason: e.message,
      key: m.key?.toString('utf8') ?? null, value: raw === null ? null : raw.slice(0, 65536), at: Date.now(),
    };
    const rows = await poisonRows(ctx, p);
    extra.push(...rows);
    const kept = rows.length > 1 ? `the event is kept in _ReplicationState as ${stateIds.poison(ctx.topics.cdc, partition, off.toString())}` : `counted in _ReplicationState's ${rows[0]!.id} (the first ${POISON_KEEP} of this table are kept whole)`;
    const message = `${e.message} (event ${where}${rec ? `, table ${rec.id}` : ''}); ${kept}`;
    if (rec && rec.state !== 'halted') {
      rec.state = 'halted';
      rec.error = { code: e.code, message, retriable: false, detail: { table: rec.id, offset: where } };
      ctx.registry.put(rec);
    }
    ctx.events.emit('error', { error: { code: e.code, message, retriable: false, detail: { offset: where } }, table: rec?.id ?? id });
    ctx.log.error('poison event kept', { offset: where, table: rec?.id ?? id, code: e.code, reason: e.message });
  };

  /**
   * The current attempt's `last` marker takes the fence, also when its event is not applied (its table
   * skipped, halted or not mirrored, or the event poison): otherwise the episode would never end. `last`
   * must already be this message's offset (the fence goes in with the offset past the marker).
   */
  const takeEnd = async (): Promise<void> => {
    const end = await retrying(ctx, 'snapshot fence', () => fullSnapshotEnd(ctx, kafkaTs(inHand)));
    extra.push(end.row);
    await flush();
    last = null;
    end.apply(); // its fence is read once due (takeDueFence): by checkFences, at this batch's end and after
  };
  const endOfUnapplied = async (m: KafkaMessage): Promise<void> => {
    // Only while an episode runs: an attempt none of whose records was applied has nothing to end (and
    // the search for the marker then costs nothing per skipped event).
    if (!ctx.fullSnapshot) return;
    const key = snapshotEndKey(m.value ?? null);
    if (key === null) return;
    const ts = Number(m.timestamp);
    inHand = m;
    const verdict = classifySnapshotRecord(ctx.fullSnapshot, ctx.completed, key, ts);
    const at = last;
    if (verdict === 'restart') { await flush(); await retrying(ctx, 'restart full snapshot', () => restartFullSnapshot(ctx, key, ts)); }
    else if (verdict !== 'current') return;
    last = at;
    first ??= at;
    await takeEnd();
  };

  for (const m of messages) {
    inHand = m;
    const off = BigInt(m.offset);
    first ??= off;
    let ev: ChangeEvent | null = null;
    try {
      const d = ctx.decodeAhead?.take(m) ?? ctx.decoder.decodeBuffers(m.key ?? null, m.value ?? null, mirrored);
      if (d.kind === 'tombstone') { last = off; continue; }
      if (d.kind === 'skipped') { last = off; await endOfUnapplied(m); continue; }
      if (d.kind === 'truncate') {
        const rec = ctx.filter(d.schema, d.name) === 'mirror' ? ctx.registry.get(tableId({ schema: d.schema, name: d.name })) : undefined;
        if (rec && rec.state !== 'halted') {
          await flush(); last = null;
          await retrying(ctx, `truncate ${rec.id}`, () => truncateTable(ctx, rec));
          // Its record has no key (any partition): rows of events produced after it and read before it
          // (a partition read ahead) went with it, so the table is resynced (a truncated table is small);
          // events produced at or before it, read after it, are skipped from here on (docs/snapshots.md).
          rec.truncatedAt = Math.max(rec.truncatedAt ?? 0, Number(m.timestamp));
          ctx.registry.put(rec);
          await retrying(ctx, `resync ${rec.id} after its truncate`, () => requestResync(ctx, [rec.id], TRUNCATE_REASON));
        }
        first ??= off;
        last = off;
        continue;
      }
      ev = d;
      if (ev.op !== 'r') noteStreamed(ctx, Number(m.timestamp), ev.sourceTsMs);
      if (ctx.filter(ev.def.schema, ev.def.name) !== 'mirror') { last = off; await endOfUnapplied(m); continue; }
      if (!ev.def.primaryKey.length) throw new MirrorError('SCHEMA_CONFLICT', `table ${tableId(ev.def)} has no primary key and cannot be mirrored`);
      const id = tableId(ev.def);
      // A record of a full (initial / blocking) snapshot: which attempt it belongs to decides whether it
      // starts an episode, starts it over, or is a late record of an older attempt (docs/snapshots.md).
      let verdict: AttemptVerdict | null = null;
      if (ev.snapshotKey !== null) {
        verdict = classifySnapshotRecord(ctx.fullSnapshot, ctx.completed, ev.snapshotKey, Number(m.timestamp));
        if (verdict === 'start') { await flush(); last = null; const k = ev.snapshotKey; await retrying(ctx, 'begin full snapshot', () => beginFullSnapshot(ctx, k, Number(m.timestamp))); }
        else if (verdict === 'restart') { await flush(); last = null; const k = ev.snapshotKey; await retrying(ctx, 'restart full snapshot', () => restartFullSnapshot(ctx, k, Number(m.timestamp))); }
        else if (verdict === 'older' && ctx.fullSnapshot?.key) ctx.fullSnapshot.olderKeys = [...new Set([...(ctx.fullSnapshot.olderKeys ?? []), ev.snapshotKey])].slice(-20);
      }
      let rec = ctx.registry.get(id);
      if (!rec) {
        // Known dropped in this batch: skipped with no write (a flush here committed one transaction per
        // event: a fresh PostgreSQL replica replaying a dropped table's 80,000 events did ~700 a second).
        if (dropped.has(id)) { last = off; if (isEnd(ev, verdict)) await takeEnd(); continue; }
        await flush(); last = null;
        const e = ev;
        if (await retrying(ctx, `schema history of ${id}`, () => droppedAtSource(ctx, e))) {
          ctx.log.info('events of a table dropped at the source since are skipped', { table: id, from: `${partition}:${off}` });
          dropped.add(id);
          last = off;
          if (isEnd(ev, verdict)) await takeEnd();
          continue;
        }
        rec = await retrying(ctx, `create table ${id}`, () => createTableFromEvent(ctx, e));
      }
      if (rec.rebuiltSrc && comparePositions(sourcePosition(ev.source), rec.rebuiltSrc) === -1) {
        // Written before the definition the table was rebuilt to (or before its incarnation began): the
        // resync refilling it reads the source after that, so it supersedes this event, whatever the
        // event's schema (records.ts, rebuiltSrc).
        superseded(rec, ev, verdict);
        last = off;
        if (isEnd(ev, verdict)) await takeEnd();
        continue;
      }
      if (rec.hash !== ev.defHash && !haltedByRefusedChange(rec)) {
        // The history decides whether the event's schema is newer (DDL: flush first) or older (applied as
        // the table holds it, or skipped when a rebuild's resnapshot supersedes it; remembered per run).
        // Per pair of hashes and the history entry in force where the event was written: two events of one
        // hash can belong to different definitions (a column added, then dropped).
        const src = sourcePosition(ev.source);
        const seenKey = `${rec.hash}\u0000${ev.defHash}\u0000${src ? entryAt(ctx.schemaLog?.get(id) ?? [], src)?.pos ?? '' : ''}`;
        let action = olderSchemas.get(seenKey);
        if (action === undefined) {
          await flush(); last = null;
          const r0 = rec, e = ev;
          let placed: Awaited<ReturnType<typeof placeEventSchema>>;
          try { placed = await retrying(ctx, `schema change of ${id}`, () => placeEventSchema(ctx, r0, e)); } catch (err) {
            // The replica refused the DDL (a view on the table blocks its DROP): the table halts, saying why and
            // what to do, and the event is not poison (it was kept as one, DECODE_FAILED, before 2026-12-06).
            if (ctx.stopping || endsProcessing(err) || !haltRefusedChange(ctx, r0, err)) throw err;
            last = off;
            if (isEnd(ev, verdict)) await takeEnd();
            continue;
          }
          if (placed.rec.hash !== ev.defHash) { action = placed.action; olderSchemas.set(seenKey, action); }
          rec = placed.rec;
        }
        if (action === 'skip') {
          // A row of the table's own resync scan that is not applied: its sweep would delete a row the source
          // has, so the resync cannot end ok on it (finishSweep). Only a broken definition gets here: a rebuild
          // during a resync begins a new one, whose rows are of the new schema.
          if (ev.op === 'r' && ev.snapshot === 'incremental' && rec.sweep?.kind === 'incremental') { rec.sweep.rowsSkipped = (rec.sweep.rowsSkipped ?? 0) + 1; ctx.registry.put(rec); }
          superseded(rec, ev, verdict); last = off; if (isEnd(ev, verdict)) await takeEnd(); continue;
        }
      }
      if (rec.state === 'halted') { last = off; if (isEnd(ev, verdict)) await takeEnd(); continue; }
      // Produced at or before the table's TRUNCATE, read after it (a partition read behind): its row was
      // truncated. A record of the same millisecond may have come after it: the truncate's resync restores it.
      if (rec.truncatedAt && Number(m.timestamp) <= rec.truncatedAt) { superseded(rec, ev, verdict); last = off; if (isEnd(ev, verdict)) await takeEnd(); continue; }
      const current = ofAttempt(verdict);
      if (current && rec.sweep?.kind === 'full' && rec.sweep.attemptKey !== ev.snapshotKey) { rec.sweep.attemptKey = ev.snapshotKey; ctx.registry.put(rec); }
      // Writes that never mark a row seen: late records of an older attempt, and change events produced
      // before the running attempt began (read from a partition behind the others). The stream before a
      // full snapshot cannot be trusted to be complete: offsets reset or a source restored can lose the
      // delete that follows (docs/snapshots.md). They precede the attempt's records in their partition, so
      // this table's marking buffer is flushed first and they are buffered apart.
      const kts = Number(m.timestamp);
      const fsTs = ctx.fullSnapshot?.keyTs;
      const older = verdict === 'older';
      const unmarked = older || (verdict === null && rec.sweep?.kind === 'full' && fsTs !== undefined && kts < fsTs);
      if (unmarked && buffers.get(id)?.entries.size) { await flush(); last = null; }
      const bufKey = unmarked ? `${id}\u0000unmarked` : id;
      let buf = buffers.get(bufKey);
      if (!buf) { buf = new TableBuffer(rec.def); buf.markSeen = rec.sweep !== null && !unmarked; buffers.set(bufKey, buf); }
      if (ev.op === 'd') buf.delete(ev.key, kts);
      else {
        const after = ev.after ?? {};
        if (rec.hash !== ev.defHash) for (const k of Object.keys(after)) if (!rec.def.columns.some((c) => c.name === k)) delete after[k];
        buf.upsert(ev.key, after, kts, ev.op === 'u');
      }
      // Rows scanned by the table's own snapshot: a resync counts its incremental records only, a full
      // snapshot the records of its current attempt (the report's figures must be true, and a full sweep
      // holds them against the rows the source reported: completeFullSnapshot).
      const counted = rec.sweep?.kind === 'full' ? current : rec.sweep?.kind === 'incremental' ? ev.snapshot === 'incremental' : !older;
      if (ev.op === 'r' && counted) buf.snapshotRows++;
      if (ev.sourceTsMs > buf.lastSourceTs) buf.lastSourceTs = ev.sourceTsMs;
      if (ev.sourceTsMs > maxSourceTs) maxSourceTs = ev.sourceTsMs;
      touched.add(id);
      events++;
      first ??= off;
      last = off;
      if (isEnd(ev, verdict)) await takeEnd();
    } catch (err) {
      // Only the event itself can be poison; a step that failed while stopping is redone on restart.
      if (ctx.stopping || endsProcessing(err)) throw err;
      await poison(off, m, err, ev);
      first ??= off;
      last = off;
      if (ev ? isEnd(ev, ev.snapshotKey === null ? null : classifySnapshotRecord(ctx.fullSnapshot, ctx.completed, ev.snapshotKey, Number(m.timestamp))) : true) await endOfUnapplied(m).catch((e2: unknown) => ctx.log.warn('a poison event\'s snapshot marker could not be read', { error: (e2 as Error).message }));
    }
  }
  await flush();
  if (events) ctx.events.emit('batch-applied', {
    events, tables: [...touched], ms: Date.now() - started,
    offsets: [{ topic: ctx.topics.cdc, partition, next: (ctx.nextOffsets.get(partition) ?? 0n).toString() }],
  });
  await checkFences(ctx);
  return { events, tables: [...touched], ms: Date.now() - started };
}
