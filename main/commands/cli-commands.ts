/** The product's commands on the engine: provision, validate, sync, info, reconnect, update-schema, resync-tables. */
import type { EngineStatus } from '../../preload/contract/status.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { testKafka, testReplica } from '../engine/checks.ts';
import { createEngine } from '../engine/engine.ts';
import type { Engine } from '../engine/engine.ts';
import { MirrorError } from '../engine/errors.ts';
import { createLogger } from '../engine/log.ts';
import type { Logger } from '../engine/log.ts';
import { createReplica } from '../engine/replica/create-replica.ts';
import { resyncReportLine } from './resync-report.ts';
import { fromStateJson } from '../engine/state/json.ts';
import { describeHolder, isLive, parseLease } from '../engine/state/lease-rules.ts';
import { DEFAULT_STALE_AFTER_MS } from '../engine/state/writer-lease.ts';
import { refuseIfInUse, schemaResultText, viaRunningEngine } from './lease-handoff.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, invalid: 3, notProvisioned: 4, stale: 5, inUse: 6, interrupted: 130 } as const;

export interface Io { out(line: string): void; json: boolean }

const done = (s: EngineStatus): boolean =>
  s.state === 'streaming' && s.lagEvents === 0 && s.tables.every((t) => t.state !== 'snapshotting' && t.state !== 'pending' && t.state !== 'resyncing');

export function progressLine(s: EngineStatus): string {
  const by = new Map<string, number>();
  for (const t of s.tables) by.set(t.state, (by.get(t.state) ?? 0) + 1);
  const states = [...by].map(([k, v]) => `${k} ${v}`).join(', ');
  const snap = s.tables.filter((t) => t.snapshot).reduce((n, t) => n + (t.snapshot?.rowsSeen ?? 0), 0);
  return `[${s.state}] applied ${s.eventsApplied} (${s.eventsPerSecond.toFixed(0)}/s) · lag ${s.lagEvents ?? '?'} events, ${s.lagSeconds === null ? '?' : s.lagSeconds.toFixed(1)} s · tables: ${states || 'none'}${snap ? ` · snapshot rows ${snap}` : ''}${s.gaps.some((g) => !g.resolved) ? ' · GAP: stale tables' : ''}`;
}

async function withEngine<T>(settings: Settings, log: Logger, command: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(settings, { log, command });
  try { return await fn(engine); } finally { await engine.stop(); }
}

export async function provision(settings: Settings, io: Io, log: Logger, timeoutMs: number): Promise<number> {
  await refuseIfInUse(settings, log);
  return withEngine(settings, log, 'provision', async (e) => {
    const session = await e.provision();
    io.out(`Replica provisioned for tenant ${session.ctx} (replication id ${session.replicationId}). Loading the initial snapshot…`);
    await e.start();
    // A tenant whose initial snapshot has not begun has no table yet: wait for it (saying so), never "done, 0 tables".
    const timer = setInterval(() => {
      const st = e.status();
      io.out(st.tables.length === 0
        ? `waiting for the tenant's initial snapshot to begin (no table events in ${settings.tenant.ctx}-cdc yet)…`
        : progressLine(st));
    }, 2000);
    try {
      const s = await e.waitFor((st) => st.tables.length > 0 && done(st), timeoutMs);
      const bad = s.tables.filter((t) => t.state === 'stale' || t.state === 'halted');
      if (bad.length) {
        for (const t of bad) io.out(`${t.state.padEnd(9)} ${t.id} — ${t.staleReason ?? t.error?.message ?? ''}`);
        io.out(`Provisioning finished with ${bad.length} of ${s.tables.length} tables not in step (see above); the others are loaded.`);
        return EXIT.stale;
      }
      io.out(`Provisioning completed successfully! ${s.tables.length} tables, ${s.eventsApplied} events applied.`);
      return EXIT.ok;
    } finally { clearInterval(timer); }
  });
}

export async function validate(settings: Settings, io: Io): Promise<number> {
  const kafka = await testKafka(settings.tenant);
  const replica = await testReplica(settings.replica, settings.tablePrefix);
  const items = [{ name: 'config', ok: true, message: 'valid', fix: null }, ...kafka.items, ...replica.items];
  if (io.json) io.out(JSON.stringify({ ok: kafka.ok && replica.ok, items }, null, 2));
  else for (const i of items) io.out(`${i.ok ? 'OK  ' : 'FAIL'} ${i.name}: ${i.message}${i.fix ? `\n     fix: ${i.fix}` : ''}`);
  return kafka.ok && replica.ok ? EXIT.ok : EXIT.invalid;
}

export async function sync(settings: Settings, io: Io, log: Logger, opts: { untilCaughtUp: boolean; timeoutMs: number }): Promise<number> {
  await refuseIfInUse(settings, log);
  const engine = await createEngine(settings, { log, command: 'sync' });
  let stopping = false;
  const stop = async (code: number) => { if (stopping) return; stopping = true; await engine.stop(); process.exit(code); };
  process.on('SIGINT', () => { io.out('stopping…'); void stop(EXIT.interrupted); });
  process.on('SIGTERM', () => { void stop(EXIT.ok); });
  engine.on('table-stale', (t) => io.out(`STALE ${t.table}: ${t.reason}`));
  engine.on('table-recovered', (t) => io.out(`recovered ${t.table}`));
  engine.on('table-resynced', (t) => io.out(`resync ${resyncReportLine({ id: t.table, state: t.report.outcome === 'failed' ? 'stale' : 'ok', staleReason: null, lastResync: t.report })}`));
  engine.on('error', (e) => io.out(`ERROR ${e.table ?? ''} [${e.error.code}] ${e.error.message}`));
  await engine.start();
  const timer = setInterval(() => io.out(progressLine(engine.status())), 2000);
  if (opts.untilCaughtUp) {
    try { await engine.waitFor(done, opts.timeoutMs); } finally { clearInterval(timer); }
    io.out(progressLine(engine.status()));
    await engine.stop();
    return EXIT.ok;
  }
  await new Promise(() => undefined); // runs until Ctrl+C
  return EXIT.ok;
}

export async function info(settings: Settings, io: Io): Promise<number> {
  const replica = await createReplica(settings);
  await replica.connect();
  try {
    await replica.ensureStateTable();
    const rows = await replica.readState();
    const session = rows.find((r) => r.id === 'session');
    const tables = rows.filter((r) => r.kind === 'table').map((r) => fromStateJson<{ id: string; state: string; staleReason: string | null; error: { message: string } | null }>(r.value));
    const offsets = rows.filter((r) => r.kind === 'offset').map((r) => ({ id: r.id.slice(7), ...JSON.parse(r.value) as object }));
    const gaps = rows.filter((r) => r.kind === 'gap').map((r) => JSON.parse(r.value) as { resolved: boolean });
    // Poison events: per-table summaries count them all (only the first ones are kept whole).
    const summaries = rows.filter((r) => r.kind === 'poison' && r.id.startsWith('poison-summary:')).map((r) => JSON.parse(r.value) as { count: number });
    const poison = summaries.length ? summaries.reduce((n, s) => n + s.count, 0) : rows.filter((r) => r.kind === 'poison').length;
    const writer = parseLease(rows.find((r) => r.kind === 'lease')?.value);
    const live = writer !== null && isLive(writer, Date.now(), DEFAULT_STALE_AFTER_MS);
    const out = { session: session ? JSON.parse(session.value) as object : null, replica: settings.replica.kind, writer: writer ? { ...writer, live } : null, tables, offsets, gaps, poisonEvents: poison, clientVersion: '0.1.0' };
    // Table definitions carry bigint defaults (int64 columns): print them as strings.
    if (io.json) io.out(JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
    else {
      if (!session) io.out('Not provisioned: run `tenant-mirror provision`.');
      else io.out(`Tenant ${(out.session as { ctx: string }).ctx} · replication id ${(out.session as { replicationId: string }).replicationId} · replica ${settings.replica.kind}`);
      if (writer) io.out(`writer: ${describeHolder(writer, Date.now())}${live ? '' : ' — stale: the next process to start takes over'}`);
      for (const o of offsets) io.out(`offset ${o.id} → ${(o as { next?: string }).next}`);
      for (const t of tables) io.out(`${t.state.padEnd(11)} ${t.id}${t.staleReason ? ` — ${t.staleReason}` : ''}${t.error ? ` — ${t.error.message}` : ''}`);
      if (gaps.some((g) => !g.resolved)) io.out('GAP: events were purged before they were applied; stale tables need `resync-tables`.');
      if (poison) io.out(`${poison} poison event(s) kept in _ReplicationState (kind 'poison').`);
    }
    if (!session) return EXIT.notProvisioned;
    return tables.some((t) => t.state === 'stale' || t.state === 'halted') ? EXIT.stale : EXIT.ok;
  } finally { await replica.close(); }
}

export async function reconnect(settings: Settings, io: Io): Promise<number> {
  // Kafka credentials live in the config (or the desktop secret store), not in tokens: reconnect re-checks
  // them and keeps the session and offsets.
  const r = await testKafka(settings.tenant);
  for (const i of r.items) io.out(`${i.ok ? 'OK  ' : 'FAIL'} ${i.name}: ${i.message}${i.fix ? `\n     fix: ${i.fix}` : ''}`);
  return r.ok ? EXIT.ok : EXIT.invalid;
}

export async function updateSchema(settings: Settings, io: Io, log: Logger, timeoutMs = 600_000): Promise<number> {
  // Another process writes to the replica: it runs the check (a second consumer would fight it).
  const handed = await viaRunningEngine(settings, { kind: 'update-schema' }, io, log, timeoutMs);
  if (handed) return handed.ok ? EXIT.ok : EXIT.failed;
  return withEngine(settings, log, 'update-schema', async (e) => {
    await e.start();
    const r = await e.updateSchema();
    io.out(io.json ? JSON.stringify(r, null, 2) : schemaResultText(r));
    return EXIT.ok;
  });
}

/** Recovery from offsets that cannot be right: read on from the topic's end and resync every table. */
export async function resetOffsets(settings: Settings, io: Io, log: Logger, timeoutMs: number): Promise<number> {
  await refuseIfInUse(settings, log);
  return withEngine(settings, log, 'reset-offsets', async (e) => {
    const r = await e.resetOffsets();
    io.out(`offsets of ${r.partitions} partition(s) moved to the end of ${settings.tenant.ctx}-cdc; resyncing every table (${r.tables.length}) from the source…`);
    return waitForResync(e, r.tables, io, timeoutMs);
  });
}

async function waitForResync(e: Engine, requested: string[], io: Io, timeoutMs: number): Promise<number> {
  if (e.status().state === 'stopped') await e.start();
  const timer = setInterval(() => io.out(progressLine(e.status())), 2000);
  const busy = new Set(['resyncing', 'snapshotting', 'pending']);
  let s: EngineStatus;
  try {
    s = await e.waitFor((st) => requested.every((id) => !busy.has(st.tables.find((t) => t.id === id)?.state ?? 'resyncing')), timeoutMs);
  } finally { clearInterval(timer); }
  const outcome = requested.map((id) => s.tables.find((t) => t.id === id)!);
  for (const t of outcome) io.out(resyncReportLine(t));
  const ok = outcome.every((t) => t.state === 'ok');
  io.out(ok ? `resynced: ${requested.join(', ')}` : 'the resync did not leave every table ok (see above)');
  return ok ? EXIT.ok : EXIT.stale;
}

export async function resyncTables(settings: Settings, tables: string[], io: Io, log: Logger, timeoutMs: number): Promise<number> {
  if (!tables.length) throw new MirrorError('BAD_REQUEST', 'name at least one table: resync-tables <schema.table> …');
  const handed = await viaRunningEngine(settings, { kind: 'resync-tables', tables }, io, log, timeoutMs);
  if (handed) return handed.ok ? EXIT.ok : EXIT.stale;
  return withEngine(settings, log, 'resync-tables', async (e) => {
    await e.start();
    const { requested } = await e.resyncTables(tables);
    io.out(`resnapshot requested for ${requested.join(', ')}; waiting for it to complete (rows stay readable meanwhile)…`);
    return waitForResync(e, requested, io, timeoutMs);
  });

}

export { createLogger };
