/**
 * Folder test/harness/: starts the stack and the databases; fixture loaders, workloads, seeds.
 *
 * A workload that runs in the background until stopped: repeated short slices of `runWorkload` (each
 * slice re-reads the tables' id ranges, so deletes and inserts of earlier slices are taken into account).
 */
import type { CrmDatabase } from './source-db.ts';
import type { WorkloadOptions, WorkloadResult } from './workload.ts';

export interface BackgroundWorkload {
  /** Operations done so far (completed slices). */
  done(): number;
  /** Stops after the running slice and returns the totals; rethrows a failure of any slice. */
  stop(): Promise<WorkloadResult>;
}

export function backgroundWorkload(source: CrmDatabase, opts: Omit<WorkloadOptions, 'ops' | 'durationMs' | 'track'> & { sliceMs?: number } = {}): BackgroundWorkload {
  const total: WorkloadResult = { inserts: 0, updates: 0, deletes: 0, total: 0, byTable: {}, elapsedMs: 0, touched: [] };
  const started = Date.now();
  let running = true;
  const { sliceMs = 1000, seed = 11, ...rest } = opts;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const r = await source.workload({ ...rest, durationMs: sliceMs, seed: seed + i });
      total.inserts += r.inserts; total.updates += r.updates; total.deletes += r.deletes; total.total += r.total;
      for (const [t, b] of Object.entries(r.byTable)) {
        const acc = (total.byTable[t] ??= { c: 0, u: 0, d: 0 });
        acc.c += b.c; acc.u += b.u; acc.d += b.d;
      }
    }
  })();
  loop.catch(() => { running = false; });
  return {
    done: () => total.total,
    async stop() {
      running = false;
      await loop;
      total.elapsedMs = Date.now() - started;
      return total;
    },
  };
}
