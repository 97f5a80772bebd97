/**
 * `tenant-mirror info` (alias `status`): what the replica holds and how far behind it is, read-only.
 * It never creates a replica (a SQLite file that does not exist is reported, not created) and never
 * writes to one. Lag comes from Kafka's watermarks and the offsets stored in `_ReplicationState`.
 */
import { resolve } from 'node:path';
import { isStallCode } from '../../preload/contract/errors.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { MirrorError } from '../engine/errors.ts';
import type { Logger } from '../engine/log.ts';
import { createReplica } from '../engine/replica/create-replica.ts';
import { connectReplica } from '../engine/replica/classified-error.ts';
import type { Replica, StateRow } from '../engine/replica/replica.ts';
import { createKafka } from '../engine/source/kafka-client.ts';
import { recordTimestamps } from '../engine/source/record-times.ts';
import { tenantTopics } from '../engine/source/topics.ts';
import { fetchWatermarks } from '../engine/source/watermarks.ts';
import { fromStateJson } from '../engine/state/json.ts';
import { describeHolder, describeReleased, isLive, parseLease } from '../engine/state/lease-rules.ts';
import type { GapRecord, SessionRecord, TableRecord } from '../engine/state/records.ts';
import { assertSessionFits } from '../engine/state/session-fit.ts';
import { parseTableStats, TABLE_STATS_ID } from '../engine/state/table-stats.ts';
import { DEFAULT_STALE_AFTER_MS, processGone } from '../engine/state/writer-lease.ts';
import { EXIT } from './exit-codes.ts';
import { missingReplicaFile, notProvisioned } from '../engine/replica/replica-file.ts';
import { computeLag, lagVerdict, resumePosition } from './lag.ts';
import type { LagReport, PartitionInput } from './lag.ts';
import { unmirroredFromRows } from '../engine/unmirrored-tables.ts';

export interface InfoIo { out(line: string): void; json: boolean }
export interface InfoOptions { maxLagEvents: number; maxLagSeconds: number; kafkaTimeoutMs?: number }

const ago = (ms: number | null, now: number): string => (ms === null ? 'never' : `${new Date(ms).toISOString()} (${Math.max(0, Math.round((now - ms) / 1000))} s ago)`);

/** A replica opened for reading only; null (with the reason) when there is none yet. */
async function openReadOnly(settings: Settings): Promise<{ replica: Replica } | { missing: string }> {
  if (settings.replica.kind === 'sqlite') {
    const missing = missingReplicaFile(settings);
    if (missing) return { missing };
    const file = resolve(settings.replica.file);
    const { createSqliteReplica } = await import('../engine/replica/sqlite/index.ts');
    const replica = createSqliteReplica({ file, tablePrefix: settings.tablePrefix, readonly: true });
    await connectReplica(replica);
    return { replica };
  }
  const replica = await createReplica(settings);
  await connectReplica(replica);
  return { replica };
}

/** Kafka's side of the lag: watermarks of `<ctx>-cdc` and the timestamp of each first unapplied record. */
async function measureLag(settings: Settings, stored: Map<number, bigint>, log: Logger, timeoutMs: number): Promise<LagReport> {
  const kafka = createKafka(settings.tenant, log);
  const admin = kafka.admin();
  const topic = tenantTopics(settings.tenant.ctx).cdc;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_r, reject) => { timer = setTimeout(() => reject(new MirrorError('KAFKA_UNREACHABLE', `no answer from Kafka at ${settings.tenant.brokers.join(', ')} within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs); });
  try {
    const marks = await Promise.race([admin.connect().then(() => fetchWatermarks(admin, topic)), deadline]);
    const parts: PartitionInput[] = [...marks.values()].map((w) => ({ partition: w.partition, next: stored.get(w.partition) ?? null, low: BigInt(w.low), high: BigInt(w.high) }));
    const behind = new Map(parts.filter((p) => resumePosition(p) < p.high).map((p) => [p.partition, resumePosition(p)] as const));
    const ts = await Promise.race([recordTimestamps(kafka, topic, behind, timeoutMs), deadline]);
    return computeLag(parts, ts, Date.now());
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

interface TableLine { id: string; state: string; rows: number | null; lastChangeAt: number | null; lastSourceTs: number | null; reason: string | null; error: string | null }

export async function info(settings: Settings, io: InfoIo, log: Logger, opts: InfoOptions): Promise<number> {
  const opened = await openReadOnly(settings);
  if ('missing' in opened) {
    if (io.json) io.out(JSON.stringify({ provisioned: false, replica: settings.replica.kind, message: opened.missing }, null, 2));
    else io.out(opened.missing);
    return EXIT.notProvisioned;
  }
  const { replica } = opened;
  const now = Date.now();
  try {
    // Only a database with no _ReplicationState is "not provisioned"; any other failure to read it (rights,
    // the server going away) is said as what it is, not as a replica to provision (before 2026-12-07 evening it was).
    if (!(await replica.hasStateTable())) {
      const msg = notProvisioned(settings).message;
      if (io.json) io.out(JSON.stringify({ provisioned: false, replica: settings.replica.kind, message: msg }, null, 2));
      else io.out(msg);
      return EXIT.notProvisioned;
    }
    const rows: StateRow[] = await replica.readState();
    const sessionRow = rows.find((r) => r.id === 'session');
    const session = sessionRow ? JSON.parse(sessionRow.value) as Pick<SessionRecord, 'ctx' | 'replicationId' | 'tablePrefix'> : null;
    // Another tenant's replica, or tables elsewhere than the config says: its figures would not be this config's.
    if (session) assertSessionFits(session, settings);
    const records = rows.filter((r) => r.kind === 'table').map((r) => fromStateJson<TableRecord>(r.value));
    const stats = parseTableStats(rows.find((r) => r.id === TABLE_STATS_ID)?.value);
    const tables: TableLine[] = [];
    for (const t of records) {
      let count: number | null = stats?.tables[t.id]?.rows ?? null;
      try { if (t.def) count = await replica.countRows(t.def); } catch { /* table mid-rebuild or gone: the last count stands */ }
      tables.push({
        id: t.id, state: t.state, rows: count, lastChangeAt: stats?.tables[t.id]?.lastAppliedAt ?? null, lastSourceTs: stats?.tables[t.id]?.lastSourceTs ?? null,
        reason: t.state === 'stale' ? t.staleReason : t.state === 'halted' || isStallCode(t.error?.code) ? t.error?.message ?? null : null,
        error: t.error?.code ?? null,
      });
    }
    const cdc = tenantTopics(settings.tenant.ctx).cdc;
    const stored = new Map<number, bigint>();
    for (const r of rows.filter((x) => x.kind === 'offset')) {
      const m = /^offset:(.*):(\d+)$/.exec(r.id);
      if (m && m[1] === cdc) stored.set(Number(m[2]), BigInt((JSON.parse(r.value) as { next: string }).next));
    }
    const gaps = rows.filter((r) => r.kind === 'gap').map((r) => fromStateJson<GapRecord>(r.value));
    const summaries = rows.filter((r) => r.kind === 'poison' && r.id.startsWith('poison-summary:')).map((r) => JSON.parse(r.value) as { count: number });
    const poison = summaries.length ? summaries.reduce((n, s) => n + s.count, 0) : rows.filter((r) => r.kind === 'poison').length;
    const writer = parseLease(rows.find((r) => r.kind === 'lease')?.value);
    // A holder on this host whose process is gone (killed) is not running, however fresh its last heartbeat.
    const gone = writer !== null && processGone(writer);
    const live = writer !== null && !gone && isLive(writer, now, DEFAULT_STALE_AFTER_MS);

    let lag: LagReport | null = null;
    let lagError: string | null = null;
    if (session) {
      try { lag = await measureLag(settings, stored, log, opts.kafkaTimeoutMs ?? 20_000); } catch (err) { lagError = MirrorError.from(err).message; }
    }
    const bad = tables.filter((t) => t.state === 'stale' || t.state === 'halted');
    const notMirrored = unmirroredFromRows(rows);
    const verdict = lagVerdict(lag, { events: opts.maxLagEvents, seconds: opts.maxLagSeconds });
    const state = !session ? 'not provisioned' : bad.length || notMirrored.length ? 'tables not in step' : !lag ? 'lag unknown' : verdict.behind ? 'behind' : lag.lagEvents === 0 ? 'caught up' : 'catching up';

    if (io.json) {
      io.out(JSON.stringify({
        provisioned: session !== null, state, session, replica: settings.replica.kind,
        writer: writer ? { ...writer, live, processGone: gone } : null,
        lag: lag ? { events: lag.lagEvents, seconds: lag.lagSeconds, partitions: lag.partitions } : null, lagError,
        thresholds: { maxLagEvents: opts.maxLagEvents, maxLagSeconds: opts.maxLagSeconds }, behind: session ? verdict.reasons : [],
        tables, notMirrored, gaps, poisonEvents: poison,
      }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    } else {
      if (!session) io.out('Not provisioned: run `tenant-mirror provision`.');
      else io.out(`Tenant ${session.ctx} · replication id ${session.replicationId} · replica ${settings.replica.kind} · ${state}`);
      if (writer && writer.releasedAt === undefined) io.out(`writer: ${describeHolder(writer, now)}${live ? '' : gone ? ' — not running: its process is gone; the next process to start takes over at once' : ' — stale: the next process to start takes over'}`);
      else if (session) io.out(`writer: none (no sync, serve or desktop app is running on this replica${writer ? `; the last, ${describeReleased(writer)}` : ''})`);
      if (lag) {
        io.out(`lag: ${lag.lagEvents} events, ${lag.lagSeconds === null ? 'unknown' : `${lag.lagSeconds.toFixed(1)} s`} (high watermark − stored next offset; seconds: age of the first unapplied record)`);
        for (const p of lag.partitions) {
          io.out(`  partition ${p.partition}: next ${p.next ?? '-'} · low ${p.low} · high ${p.high} · lag ${p.lagEvents} events, ${p.lagSeconds === null ? 'unknown' : `${p.lagSeconds.toFixed(1)} s`}${p.note ? `\n    note: ${p.note}` : ''}`);
        }
      } else if (session) io.out(`lag: unknown — ${lagError ?? 'Kafka not reachable'}`);
      io.out(`tables: ${tables.length}`);
      for (const t of tables) {
        io.out(`  ${t.state.padEnd(12)} ${t.id} · ${t.rows === null ? '? rows' : `${t.rows} rows`} · last change ${ago(t.lastChangeAt, now)}${t.reason ? `\n    why: ${t.reason}` : ''}`);
      }
      for (const t of notMirrored) io.out(`  ${'missing'.padEnd(12)} ${t.table} · since ${new Date(t.since).toISOString()}\n    why: ${t.reason}`);
      for (const g of gaps) io.out(`gap ${g.topic}:${g.partition} offsets ${g.fromOffset}–${g.toOffset} purged, detected ${new Date(g.detectedAt).toISOString()}${g.resolved ? ' (resolved)' : `: tables ${g.tables.join(', ') || '-'} need \`resync-tables\``}`);
      if (poison) io.out(`${poison} poison event(s) kept in _ReplicationState (kind 'poison').`);
      if (bad.length) io.out(`${bad.length} table(s) stale or halted: ${bad.map((t) => t.id).join(', ')}`);
      if (notMirrored.length) io.out(`${notMirrored.length} source table(s) not mirrored: ${notMirrored.map((t) => t.table).join(', ')}`);
      const stalled = tables.filter((t) => t.error === 'RESYNC_STALLED');
      if (stalled.length) io.out(`${stalled.length} resync(s) stalled at the source connector (restart the tenant's connector): ${stalled.map((t) => t.id).join(', ')}`);
      const paused = tables.filter((t) => t.error === 'RESYNC_PAUSED');
      if (paused.length) io.out(`${paused.length} resync(s) paused at the source connector (a pause-snapshot signal; they go on once resumed): ${paused.map((t) => t.id).join(', ')}`);
      if (session && verdict.behind) io.out(`behind: ${verdict.reasons.join('; ')}`);
    }
    if (!session) return EXIT.notProvisioned;
    if (bad.length || notMirrored.length) return EXIT.stale;
    if (verdict.behind) return EXIT.behind;
    return EXIT.ok;
  } finally { await replica.close(); }
}
