/** The product's commands on the engine: provision, validate, sync, reconnect, update-schema, resync-tables (info: info.ts). */
import { isStallCode } from '../../preload/contract/errors.ts';
import type { EngineStatus } from '../../preload/contract/status.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { testKafka, testReplica } from '../engine/checks.ts';
import { createEngine } from '../engine/engine.ts';
import type { Engine } from '../engine/engine.ts';
import { MirrorError } from '../engine/errors.ts';
import { createLogger } from '../engine/log.ts';
import type { Logger } from '../engine/log.ts';
import { retryOnSchedule } from '../engine/retry-schedule.ts';
import { heldUntilItEnds, heldUntilItEndsText, ONE_SHOT_LOOK_MS } from '../engine/state/lease-rules.ts';
import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { BUSY_STATES, endedInStep, goneOutcome, lostResyncs, resyncReportLine, waitingLine } from './resync-report.ts';
import { progressOutput } from './progress-output.ts';
export { progressLine } from './progress-output.ts';
import { waitCaughtUp } from './caught-up.ts';
import { EXIT, exitCodeForError } from './exit-codes.ts';
import { HAND_OVER_TRIES, refuseIfInUse, runWhenFree, schemaResultText, toWhoeverWrites, viaRunningEngine } from './lease-handoff.ts';
import { curedByWaiting, ridingOutages, unreachableLine } from './outage-wait.ts';

export { EXIT };

export interface Io { out(line: string): void; json: boolean; tty?: boolean }

/** The progress line (or JSON record) for this command's output: progress-output.ts. */
const progressOf = (io: Io): ((s: EngineStatus) => string) => progressOutput(io, io.tty ?? false);

const done = (s: EngineStatus): boolean =>
  s.state === 'streaming' && s.lagEvents === 0 && s.tables.every((t) => t.state !== 'snapshotting' && t.state !== 'pending' && t.state !== 'resyncing');

/** Tables that are stale or halted, one line each with the reason; empty when all are in step. */
export function notInStep(s: Pick<EngineStatus, 'tables' | 'notMirrored'>): string[] {
  return [
    ...s.tables.filter((t) => t.state === 'stale' || t.state === 'halted')
      .map((t) => `${t.state.padEnd(9)} ${t.id} — ${(t.state === 'stale' ? t.staleReason : t.error?.message ?? t.staleReason) ?? 'no reason recorded'}`),
    ...(s.notMirrored ?? []).map((t) => `${'missing'.padEnd(9)} ${t.table} — ${t.reason}`),
  ];
}

/** Tables of the source the replica should hold: its own, and those it cannot mirror. */
const sourceTables = (s: Pick<EngineStatus, 'tables' | 'notMirrored'>): number => s.tables.length + (s.notMirrored?.length ?? 0);

/** How a stall mark is said: a pause at the source is not a stall. */
const stallWord = (code: string): string => (code === 'RESYNC_PAUSED' ? 'paused' : 'stalled');

/**
 * Stall marks stored before this command began (an earlier process, killed or stopped, saw the stall), one
 * line each: said at once, as the engine says them again only once it has seen the silence last as long itself.
 */
export function storedStallLines(s: Pick<EngineStatus, 'tables'>): string[] {
  const stored = s.tables.filter((t) => isStallCode(t.error?.code));
  const lines = stored.filter((x) => x.error!.code === 'RESYNC_STALLED' || x.error!.code === 'RESYNC_PAUSED')
    .map((t) => `${stallWord(t.error!.code)} (stored): ${t.id} — ${t.error!.message}`);
  const full = stored.filter((x) => x.error!.code === 'SNAPSHOT_STALLED');
  if (full.length) lines.push(`stalled (stored): ${full[0]!.error!.message} (${full.length} table(s) still owed: ${full.map((t) => t.id).join(', ')})`);
  return lines;
}

/** Prints a snapshot or resync found stalled at the source connector while a command waits for it; returns the unsubscribe. */
function sayStalls(e: Pick<Engine, 'status' | 'on'>, io: Io): () => void {
  for (const line of storedStallLines(e.status())) io.out(line);
  return e.on('error', (x) => {
    if (isStallCode(x.error.code)) io.out(`${stallWord(x.error.code)}: ${x.table ? `${x.table} — ` : ''}${x.error.message}`);
  });
}

async function withEngine<T>(settings: Settings, log: Logger, command: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(settings, { log, command });
  try { return await fn(engine); } finally { await engine.stop(); }
}

export async function provision(settings: Settings, io: Io, log: Logger, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  const wait = { until, say: (line: string) => io.out(line) };
  // Run again after an outage: the session a first try stored is kept (provision() returns it).
  return ridingOutages('provision', wait, () => runWhenFree(settings, log, wait, () => provisionHere(settings, io, log, Math.max(1000, until - Date.now()))));
}

async function provisionHere(settings: Settings, io: Io, log: Logger, timeoutMs: number): Promise<number> {
  return withEngine(settings, log, 'provision', async (e) => {
    const session = await e.provision();
    io.out(`Replica provisioned for tenant ${session.ctx} (replication id ${session.replicationId}). Loading the initial snapshot…`);
    await e.start();
    // A tenant whose initial snapshot has not begun has no table yet: wait for it (saying so), never "done, 0 tables".
    const timer = setInterval(() => {
      const st = e.status();
      io.out(st.tables.length === 0
        ? `waiting for the tenant's initial snapshot to begin (no table events in ${settings.tenant.ctx}-cdc yet)…`
        : progressOf(io)(st));
    }, 2000);
    const off = sayStalls(e, io);
    try {
      const s = await waitCaughtUp(e, (st) => st.tables.length > 0 && done(st), timeoutMs, { say: (line) => io.out(line), json: io.json });
      clearInterval(timer);
      const bad = notInStep(e.status());
      if (bad.length) {
        for (const line of bad) io.out(line);
        io.out(`Provisioning finished with ${bad.length} of ${sourceTables(e.status())} tables not in step (stale, halted or not mirrored, see above; exit ${EXIT.stale}); the others are loaded.`);
        return EXIT.stale;
      }
      io.out(`Provisioning completed successfully! ${s.tables.length} tables, ${s.eventsApplied} events applied.`);
      return EXIT.ok;
    } finally { clearInterval(timer); off(); }
  });
}

/** validate on a SQLite file that does not exist yet: its folder must be writable; no file is created. */
function sqliteNotYet(file: string): { ok: boolean; items: Array<{ name: string; ok: boolean; message: string; fix: string | null }> } {
  const dir = dirname(file);
  try {
    accessSync(dir, constants.W_OK);
    return { ok: true, items: [{ name: 'replica reachable', ok: true, message: `no replica at ${file} yet: \`provision\` creates it (the folder ${dir} is writable)`, fix: null }] };
  } catch (err) {
    return { ok: false, items: [{ name: 'replica reachable', ok: false, message: `no replica at ${file} yet, and the folder ${dir} is not writable: ${(err as Error).message}`, fix: 'choose a writable folder for the database file' }] };
  }
}

export async function validate(settings: Settings, io: Io): Promise<number> {
  const kafka = await testKafka(settings.tenant);
  const file = settings.replica.kind === 'sqlite' ? resolve(settings.replica.file) : null;
  const replica = file !== null && !existsSync(file) ? sqliteNotYet(file) : await testReplica(settings.replica, settings.tablePrefix);
  const items = [{ name: 'config', ok: true, message: 'valid', fix: null }, ...kafka.items, ...replica.items];
  if (io.json) io.out(JSON.stringify({ ok: kafka.ok && replica.ok, items }, null, 2));
  else for (const i of items) io.out(`${i.ok ? 'OK  ' : 'FAIL'} ${i.name}: ${i.message}${i.fix ? `\n     fix: ${i.fix}` : ''}`);
  return kafka.ok && replica.ok ? EXIT.ok : EXIT.invalid;
}

export async function sync(settings: Settings, io: Io, log: Logger, opts: { untilCaughtUp: boolean; timeoutMs: number }): Promise<number> {
  const until = Date.now() + opts.timeoutMs;
  let engine: Engine | null = null;
  let stopping = false;
  const progress: { timer?: NodeJS.Timeout } = {};
  // After "stopping…" nothing more is printed: no progress line, no event line.
  const say = (line: string): void => { if (!stopping) io.out(line); };
  const stop = async (code: number) => {
    if (stopping) return;
    clearInterval(progress.timer);
    if (code === EXIT.interrupted) io.out('stopping…');
    stopping = true;
    await engine?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => { void stop(EXIT.interrupted); });
  process.on('SIGTERM', () => { void stop(EXIT.ok); });
  const wire = (e: Engine): void => {
    e.on('table-stale', (t) => say(`STALE ${t.table}: ${t.reason}`));
    e.on('table-recovered', (t) => say(`recovered ${t.table}`));
    e.on('table-resynced', (t) => say(`resync ${resyncReportLine({ id: t.table, state: t.report.outcome === 'failed' ? 'stale' : 'ok', staleReason: null, lastResync: t.report })}`));
    e.on('error', (x) => say(`ERROR ${x.table ?? ''} [${x.error.code}] ${x.error.message}`));
    // The engine stopped by itself (its writer lease taken over, a restart that cannot succeed): the
    // process ends with the error's exit code instead of printing progress of an engine that is not running.
    e.on('state-changed', (x) => {
      if (x.state !== 'error' || x.previous !== 'stopped' || stopping) return;
      const last = e.status().lastError;
      say(`the engine stopped: ${x.reason ?? last?.message ?? 'unknown reason'}`);
      void stop(last ? exitCodeForError(MirrorError.fromData(last)) : EXIT.failed);
    });
  };
  // A replica written by a command that ends by itself (a `resync-tables` or `update-schema` run here while no
  // engine ran): sync waits for it to end, said once per holder, and looks again every ONE_SHOT_LOOK_MS. Until
  // 2026-12-07 it ended with exit 6, and a `sync` service restarted then stayed down. Another sync, serve or
  // desktop app holding the replica still ends it with exit 6.
  let toldOf = '';
  const sayHolderOnce = (e: MirrorError): void => {
    const who = `${String(e.detail?.host)}:${String(e.detail?.pid)}:${String(e.detail?.epoch)}`;
    if (who === toldOf) return;
    toldOf = who;
    say(`${heldUntilItEndsText(e)}: sync starts once it has ended${opts.untilCaughtUp ? ' (within --timeout)' : ''} (Ctrl+C to stop)`);
  };
  // A sync service started before the replica's server or Kafka is up (at boot) waits for them, as the
  // engine does once running: said at each try, 5 s, 15 s, 30 s, then every 60 s (within --timeout with
  // --until-caught-up). Before 2026-12-06 evening it ended at once with exit 1.
  const running = await retryOnSchedule(async () => {
    await refuseIfInUse(settings, log);
    const e = await createEngine(settings, { log, command: 'sync' });
    engine = e; // Ctrl+C meanwhile stops it
    wire(e);
    try {
      await e.start();
      return e;
    } catch (err) {
      engine = null;
      await e.stop().catch(() => undefined);
      throw err;
    }
  }, {
    ...(opts.untilCaughtUp ? { until } : {}),
    cured: (err) => curedByWaiting(MirrorError.from(err)) || heldUntilItEnds(MirrorError.from(err)),
    waitAfter: (err) => (heldUntilItEnds(MirrorError.from(err)) ? ONE_SHOT_LOOK_MS : undefined),
    stopped: () => stopping,
    onWait: (err, at) => {
      const e = MirrorError.from(err);
      if (heldUntilItEnds(e)) { sayHolderOnce(e); return; }
      say(unreachableLine(e, 'sync', at, false));
    },
  }).catch((err: unknown) => {
    // --timeout ran out while such a command still wrote: said as that, not as advice to stop it.
    const e = MirrorError.from(err);
    if (!heldUntilItEnds(e)) throw err;
    throw new MirrorError('REPLICA_IN_USE', `${heldUntilItEndsText(e)}, had not ended within --timeout (${Math.round(opts.timeoutMs / 1000)} s); nothing was synced`, { detail: e.detail });
  });
  for (const line of storedStallLines(running.status())) say(line);
  progress.timer = setInterval(() => say(progressOf(io)(running.status())), 2000);
  if (opts.untilCaughtUp) {
    try { await waitCaughtUp(running, done, Math.max(1000, until - Date.now()), { say, json: io.json }); } finally { clearInterval(progress.timer); }
    const s = running.status();
    io.out(progressOf(io)(s));
    stopping = true;
    await running.stop();
    const bad = notInStep(s);
    if (bad.length) {
      for (const line of bad) io.out(line);
      io.out(`caught up, but ${bad.length} of ${sourceTables(s)} tables are not in step (stale, halted or not mirrored, see above; exit ${EXIT.stale})`);
      return EXIT.stale;
    }
    io.out(`caught up: ${s.tables.length} tables in step`);
    return EXIT.ok;
  }
  await new Promise(() => undefined); // runs until Ctrl+C
  return EXIT.ok;
}

export async function reconnect(settings: Settings, io: Io): Promise<number> {
  // Kafka credentials live in the config (or the desktop secret store), not in tokens: reconnect re-checks
  // them and keeps the session and offsets.
  const r = await testKafka(settings.tenant);
  for (const i of r.items) io.out(`${i.ok ? 'OK  ' : 'FAIL'} ${i.name}: ${i.message}${i.fix ? `\n     fix: ${i.fix}` : ''}`);
  return r.ok ? EXIT.ok : EXIT.invalid;
}

/** A request handed to another process that stopped before it was done (ENGINE_STOPPED): null, so the command runs here. */
function runHereIfStopped(io: Io, what: string): (err: unknown) => null {
  return (err) => {
    if (MirrorError.from(err).code !== 'ENGINE_STOPPED') throw err;
    io.out(`${(err as Error).message}; ${what}`);
    return null;
  };
}

export async function updateSchema(settings: Settings, io: Io, log: Logger, timeoutMs = 600_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  // Run again after an outage: a check is safe to run twice.
  return ridingOutages('update-schema', { until, say: (line) => io.out(line) },
    () => toWhoeverWrites(io, until, 'the check', () => updateSchemaOnce(settings, io, log, Math.max(1000, until - Date.now()))));
}

async function updateSchemaOnce(settings: Settings, io: Io, log: Logger, timeoutMs: number): Promise<number> {
  // Another process writes to the replica: it runs the check (a second consumer would fight it).
  // That process stopped before it ran the check (or while it ran): a check is safe to run again, here.
  const handed = await viaRunningEngine(settings, { kind: 'update-schema' }, io, log, timeoutMs).catch(runHereIfStopped(io, 'running the check here'));
  if (handed) return 'ok' in handed && handed.ok ? EXIT.ok : EXIT.failed;
  return withEngine(settings, log, 'update-schema', async (e) => {
    const since = Date.now();
    await e.start();
    await e.updateSchema();
    // What this run applied: the check at start, events that moved a table on, and the check just run.
    const r = e.appliedSchemaChanges(since);
    io.out(io.json ? JSON.stringify(r, null, 2) : schemaResultText(r));
    return EXIT.ok;
  });
}

/** Recovery from offsets that cannot be right: read on from the topic's end and resync every table. */
export async function resetOffsets(settings: Settings, io: Io, log: Logger, timeoutMs: number): Promise<number> {
  const until = Date.now() + timeoutMs;
  const wait = { until, say: (line: string) => io.out(line) };
  // Once the offsets are moved (the resyncs stored in the same write), a try after an outage only starts
  // the engine and waits for those resyncs: it does not move the offsets again.
  let resyncing: string[] | null = null;
  return ridingOutages('reset-offsets', wait, () => runWhenFree(settings, log, wait, () => withEngine(settings, log, 'reset-offsets', async (e) => {
    if (!resyncing) {
      const r = await e.resetOffsets();
      resyncing = r.tables;
      io.out(`offsets of ${r.partitions} partition(s) moved to the end of ${settings.tenant.ctx}-cdc; resyncing every table (${r.tables.length}) from the source…`);
    }
    await e.start();
    return waitForResync(e, resyncing, io, Math.max(1000, until - Date.now()));
  })));
}

/**
 * Waits (the engine running here) until no table of `requested` is busy; prints one line per table; exit ok
 * when each ended in step. `begun` holds, for each table seen busy, when its resync began (the latest seen):
 * a table that ends with no resync since then was put back under the command (the replica restored from a
 * backup: the engine read its state again) — its resync is asked for again, said, up to HAND_OVER_TRIES
 * times in all; still lost after that, it is not counted in step. Before 2026-12-07 the restored table's
 * older resync was printed as the one asked for, and "resynced".
 */
export async function waitForResync(e: Pick<Engine, 'status' | 'start' | 'waitFor' | 'on' | 'resyncTables'>, requested: string[], io: Io, timeoutMs: number, begun = new Map<string, number>()): Promise<number> {
  if (e.status().state === 'stopped') await e.start();
  const until = Date.now() + timeoutMs;
  const timer = setInterval(() => io.out(progressOf(io)(e.status())), 2000);
  const off = sayStalls(e, io);
  const note = (st: EngineStatus): void => {
    for (const t of st.tables) {
      const at = t.snapshot?.startedAt;
      if (requested.includes(t.id) && BUSY_STATES.has(t.state) && at !== undefined && at > (begun.get(t.id) ?? -Infinity)) begun.set(t.id, at);
    }
  };
  let s: EngineStatus;
  let lost: string[] = [];
  let asked = 0;
  try {
    for (;;) {
      asked++;
      // A table without a status row is gone (dropped at the source meanwhile): done, not busy.
      s = await e.waitFor((st) => { note(st); return requested.every((id) => !BUSY_STATES.has(st.tables.find((t) => t.id === id)?.state ?? 'gone')); }, Math.max(1000, until - Date.now()));
      lost = lostResyncs(s.tables, requested, Object.fromEntries(begun));
      if (!lost.length || asked >= HAND_OVER_TRIES || Date.now() >= until) break;
      io.out(`the replica went back to an earlier state (restored from a backup?) while this command waited: the resync of ${lost.join(', ')} is not in it; asking for it again`);
      await e.resyncTables(lost);
      note(e.status());
    }
  } finally { clearInterval(timer); off(); }
  const outcome = requested.map((id) => s.tables.find((t) => t.id === id) ?? goneOutcome(id, s.notMirrored ?? []));
  for (const t of outcome) io.out(lost.includes(t.id) ? `lost     ${t.id} — its resync is not in the replica (it went back to an earlier state ${asked === 1 ? 'once' : `${asked} times`} while this command waited): run resync-tables again` : resyncReportLine(t));
  const ok = outcome.every(endedInStep) && !lost.length;
  io.out(ok ? `resynced: ${requested.join(', ')}` : 'the resync did not leave every table ok (see above)');
  return ok ? EXIT.ok : EXIT.stale;
}

export async function resyncTables(settings: Settings, tables: string[], io: Io, log: Logger, timeoutMs: number): Promise<number> {
  if (!tables.length) throw new MirrorError('BAD_REQUEST', 'name at least one table: resync-tables <schema.table> …');
  const until = Date.now() + timeoutMs;
  // Run again after an outage: a resync asked for again is what a user may ask at any time (the table is scanned again).
  return ridingOutages('resync-tables', { until, say: (line) => io.out(line) },
    () => toWhoeverWrites(io, until, 'the resync', () => resyncTablesOnce(settings, tables, io, log, until)));
}

async function resyncTablesOnce(settings: Settings, tables: string[], io: Io, log: Logger, until: number): Promise<number> {
  const timeoutMs = Math.max(1000, until - Date.now());
  // That process stopped before it took the request up (withdrawn): asked for here instead.
  const handed = await viaRunningEngine(settings, { kind: 'resync-tables', tables }, io, log, timeoutMs).catch(runHereIfStopped(io, 'asking for the resync here'));
  if (handed && 'ok' in handed) return handed.ok ? EXIT.ok : EXIT.stale;
  if (handed) {
    // The engine it was handed to stopped (Ctrl+C, a crash) before the resync ended: the resync is recorded
    // in the replica, so an engine started here goes on with it (before, this waited for --timeout).
    io.out(`the engine that was resyncing stopped before the resync ended; going on with it here`);
    return withEngine(settings, log, 'resync-tables', async (e) => {
      await e.start();
      const lost = lostResyncs(e.status().tables, handed.ownerStopped, handed.begun);
      if (lost.length) {
        io.out(`the replica went back to an earlier state (restored from a backup?) after that engine stopped: the resync of ${lost.join(', ')} is not in it; asking for it again here`);
        await e.resyncTables(lost);
      }
      return waitForResync(e, handed.ownerStopped, io, Math.max(1000, until - Date.now()), new Map(Object.entries(handed.begun)));
    });
  }
  return withEngine(settings, log, 'resync-tables', async (e) => {
    await e.start();
    const halted = new Set(e.status().tables.filter((t) => t.state === 'halted').map((t) => t.id));
    const { requested } = await e.resyncTables(tables);
    io.out(waitingLine(requested, requested.filter((id) => halted.has(id))));
    return waitForResync(e, requested, io, timeoutMs);
  });

}

export { createLogger };
