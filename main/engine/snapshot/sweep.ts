/**
 * The end of a table's resync or full-snapshot sweep: rows the snapshot did not deliver are deleted
 * (only after a scan the source reported as succeeded), or, when the scan failed, nothing is deleted and
 * the table is left stale with the reason. Either way the table keeps a report of what was done.
 */
import type { EngineContext } from '../context.ts';
import type { TableRecord } from '../state/records.ts';
import type { ResyncReport } from '../../../preload/contract/status.ts';
import { clearStall } from './stall.ts';
import { supersededPoison } from '../apply/poison-book.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type SweepDeps = Pick<EngineContext, 'events' | 'lease' | 'log' | 'registry' | 'replica' | 'persist'>;

/** A resync still waiting for its table scan to end (no end taken, no fence, no failure pending). */
export const awaitingScan = (r: TableRecord): boolean => r.sweep?.kind === 'incremental' && !r.sweep.fence && !r.sweep.scan && !r.sweep.failing;

/** Rows in a replica table now (a resync report's before/after), or null when it cannot be counted. */
export async function countOrNull(ctx: Pick<SweepDeps, 'replica' | 'log'>, r: TableRecord): Promise<number | null> {
  try { return await ctx.replica.countRows(r.def); } catch (err) {
    ctx.log.warn('rows of a table could not be counted for its resync report', { table: r.id, error: (err as Error).message });
    return null;
  }
}

/** COUNT(*) after a sweep (inside the control loop): the table's row figure from here on, and the report's "after". */
async function recount(ctx: SweepDeps, r: TableRecord): Promise<number | null> {
  const n = await countOrNull(ctx, r);
  if (n !== null) ctx.registry.rowsCounted(r.id, n);
  return n;
}

function report(r: TableRecord, outcome: ResyncReport['outcome'], rowsDeleted: number, reason: string | null, rowsAfter: number | null): ResyncReport {
  return {
    kind: r.sweep?.kind ?? 'incremental', outcome, startedAt: r.sweep?.startedAt ?? Date.now(), finishedAt: Date.now(),
    rowsScanned: r.sweep?.rowsApplied ?? r.snapshot?.rowsSeen ?? 0,
    // What the source reported at the scan's end only: the estimate made from a running scan's keys is no report.
    rowsReported: r.sweep?.scan?.rows ?? null, rowsDeleted, reason,
    rowsBefore: r.sweep?.rowsBefore ?? null, rowsAfter,
    ...(r.sweep?.recreated ? { recreated: true } : {}),
  };
}

/**
 * Sweeps a table whose snapshot scan succeeded and whose fence was reached. A table halted while its
 * snapshot ran is not swept: its events after the halt were skipped and marked nothing.
 */
export async function finishSweep(ctx: SweepDeps, r: TableRecord): Promise<void> {
  clearStall(r);
  if (r.state === 'halted') return failSweep(ctx, r, 'the table was halted while its snapshot ran, so its records after the halt were not applied and mark no row');
  const skipped = r.sweep?.kind === 'incremental' ? r.sweep.rowsSkipped ?? 0 : 0;
  if (skipped > 0) return failSweep(ctx, r, `${skipped} row(s) its scan delivered were of a schema the replica table does not have and were not applied, so the rows the sweep would delete cannot be told from rows the source has`);
  const wasStale = r.staleReason !== null;
  ctx.registry.rowsUnknown(r.id); // until counted after the sweep's delete (a sweep that fails half-way moved it)
  const removed = await ctx.replica.finishSweep(r.def, ctx.lease?.guard());
  r.lastResync = report(r, 'repaired', removed, null, await recount(ctx, r));
  r.sweep = null;
  r.rebuiltSrc = null; // every event written before a rebuild was read before this sweep's fence
  r.snapshot = null;
  r.state = 'ok';
  r.staleReason = null;
  ctx.registry.put(r);
  // The sweep committed (its delete and the drop of the seen set); the record follows at once (reconcileSweeps).
  const poison = await supersededPoison(ctx, r.id);
  await ctx.persist(ctx.registry.takeDirty(), poison);
  if (poison.length) ctx.log.info('poison events of the table superseded by its resync: removed', { table: r.id, rows: poison.length });
  ctx.log.info('table resynced', { table: r.id, ...r.lastResync });
  ctx.events.emit('table-resynced', { table: r.id, report: r.lastResync });
  if (wasStale) ctx.events.emit('table-recovered', { table: r.id });
}

/** A scan that did not succeed: nothing is deleted, the table is stale with the reason and the retry command. */
export async function failSweep(ctx: SweepDeps, r: TableRecord, why: string): Promise<void> {
  clearStall(r);
  const had = r.sweep !== null;
  const reason = `${why}; no row was deleted. Run \`tenant-mirror resync-tables ${r.id}\` to retry`;
  r.lastResync = report(r, 'failed', 0, reason, await countOrNull(ctx, r));
  r.sweep = null;
  r.snapshot = null;
  if (r.state !== 'halted') { r.state = 'stale'; r.staleReason = reason; }
  ctx.registry.put(r);
  // The record first, then the seen set goes: a seen set missing under a running sweep then always means
  // that sweep committed (reconcileSweeps).
  await ctx.persist(ctx.registry.takeDirty());
  if (had) await ctx.replica.cancelSweep(r.def);
  ctx.log.warn('resync failed: table left stale', { table: r.id, reason });
  ctx.events.emit('table-resynced', { table: r.id, report: r.lastResync });
  ctx.events.emit('table-stale', { table: r.id, reason, gap: null });
}

/** A full snapshot that did not include this table: its seen set is dropped and its state restored. */
export async function dropSweep(ctx: SweepDeps, r: TableRecord): Promise<void> {
  clearStall(r);
  const prev = r.sweep?.prev;
  r.sweep = null;
  r.snapshot = null;
  if (r.state === 'resyncing') { r.state = prev?.state ?? 'ok'; r.staleReason = prev?.staleReason ?? null; }
  if (r.state === 'resyncing' || r.state === 'snapshotting' || r.state === 'pending') r.state = 'ok';
  ctx.registry.put(r);
  await ctx.persist(ctx.registry.takeDirty()); // the record first, then the seen set (see failSweep)
  await ctx.replica.cancelSweep(r.def);
}

/**
 * On start, after a kill: a table's sweep record and its seen set are written in separate transactions.
 * A running sweep whose seen set is missing is settled here, before anything is applied:
 * - its end was reached (a full snapshot's fence, a resync's fence): its sweep committed before the
 *   kill (the delete and the drop are one transaction; SQL Server drops the set last), so it is done;
 * - a full snapshot not yet ended: the set was being replaced (snapshot started over, TRUNCATE) and the
 *   record not yet written; an empty set is right (the attempt's records are read again and mark);
 * - a resync not yet ended: what was marked is lost, so nothing may be swept: the table is stale and
 *   `resync-tables` retries. Writes to a missing seen set used to halt the table (42P01).
 */
export async function reconcileSweeps(ctx: SweepDeps, fullEnded: boolean): Promise<void> {
  for (const r of ctx.registry.all()) {
    if (!r.sweep || await ctx.replica.hasSweep(r.def)) continue;
    const ended = r.sweep.kind === 'full' ? fullEnded : r.sweep.fence !== null;
    if (ended) {
      ctx.log.warn('a sweep that committed before the engine stopped is recorded as done', { table: r.id, kind: r.sweep.kind });
      r.sweep = null;
      r.snapshot = null;
      if (r.state !== 'halted') { r.state = 'ok'; r.staleReason = null; }
      ctx.registry.put(r);
    } else if (r.sweep.kind === 'full') {
      ctx.log.warn('the seen set of a full snapshot being started over is recreated empty', { table: r.id });
      await ctx.replica.beginSweep(r.def);
    } else {
      await failSweep(ctx, r, 'the resync was interrupted while its seen set was being replaced, so what it had marked is lost');
    }
  }
  if (ctx.registry.hasDirty()) await ctx.persist(ctx.registry.takeDirty());
}

/**
 * TRUNCATE at the source: every row goes (a sweep with nothing seen). A resync running on the table keeps
 * running with a fresh seen set: rows it delivers from here on are what the source has.
 */
export async function truncateTable(ctx: SweepDeps, r: TableRecord): Promise<void> {
  if (r.sweep) await ctx.replica.cancelSweep(r.def);
  await ctx.replica.beginSweep(r.def);
  ctx.registry.rowsUnknown(r.id);
  const removed = await ctx.replica.finishSweep(r.def, ctx.lease?.guard());
  await recount(ctx, r);
  if (r.sweep) await ctx.replica.beginSweep(r.def);
  ctx.log.warn('table truncated at the source: emptied in the replica', { table: r.id, rowsDeleted: removed });
}
