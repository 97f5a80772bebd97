/**
 * Snapshot and resync progress an admin can read: rows copied, rows/s over the last seconds, and —
 * where a total can be estimated (Debezium's running scan report, the table's row count before a resync:
 * the larger) — a percentage and an ETA, per table and overall. No total: percent and ETA are null
 * ("unknown"), never a made-up 0 %. Debezium's total moves as the scan goes (it is extrapolated from
 * chunk keys) and so does an estimate: the percentage shown never goes back within one run, and stops
 * at 99 until the table reports done (then it has no snapshot any more).
 */
import type { OverallSnapshotProgress, TableStatus } from '../../preload/contract/status.ts';

interface Track { startedAt: number; estimate: number | null; samples: Array<[number, number]>; percent: number }

export interface SnapshotTracker {
  /** Tables with their snapshot progress filled in, and the overall figures. Call with the current status. */
  enrich(tables: TableStatus[], now: number): { tables: TableStatus[]; overall: OverallSnapshotProgress | null };
}

/** Rates are taken over at least this span (a single sample tells nothing). */
const MIN_SPAN_MS = 1500;

export function createSnapshotTracker(windowMs = 15_000): SnapshotTracker {
  const tracks = new Map<string, Track>();

  const rateOf = (tr: Track, rowsSeen: number, now: number): number | null => {
    const first = tr.samples[0]!;
    const span = now - first[0];
    if (span >= MIN_SPAN_MS) return Math.max(0, (rowsSeen - first[1]) / (span / 1000));
    const sinceStart = now - tr.startedAt;
    return sinceStart >= MIN_SPAN_MS && tr.startedAt > 0 ? rowsSeen / (sinceStart / 1000) : null;
  };

  return {
    enrich(tables, now) {
      const running = new Set<string>();
      let rowsSeen = 0; let rowsTotal: number | null = 0; let rate: number | null = 0; let count = 0;
      const out = tables.map((t) => {
        const s = t.snapshot;
        if (!s) return t;
        running.add(t.id);
        let tr = tracks.get(t.id);
        if (!tr || tr.startedAt !== s.startedAt) {
          // The count taken before this snapshot began is what the table held: the estimate of its size.
          // A resync upserts into the rows already there, so any count of the table will do; an initial
          // snapshot fills the table, so only a count from before it began.
          const counted = t.rows !== null && t.rows > 0 && typeof t.rowsAt === 'number';
          const before = counted && (s.kind === 'incremental' || t.rowsAt! <= s.startedAt + 1000) ? t.rows : null;
          tr = { startedAt: s.startedAt, estimate: before, samples: [], percent: 0 };
          tracks.set(t.id, tr);
        }
        tr.samples.push([now, s.rowsSeen]);
        while (tr.samples.length > 1 && tr.samples[0]![0] < now - windowMs) tr.samples.shift();
        // While a scan runs, Debezium's figure is extrapolated from chunk keys (rows so far × max key ÷ last
        // key) and can be far off when keys are not uniform; the table's count before a resync is another
        // lower bound. The larger one is the estimate; neither is shown as more than an estimate.
        const guesses = [s.rowsExpected, tr.estimate, s.rowsSeen].filter((x): x is number => x !== null && x > 0);
        const known = (s.rowsExpected !== null && s.rowsExpected > 0) || tr.estimate !== null;
        const total = known ? { rows: Math.max(...guesses), basis: 'estimated' as const } : null;
        const rowsPerSecond = rateOf(tr, s.rowsSeen, now);
        const percent = total ? Math.max(tr.percent, Math.min(99, Math.floor((s.rowsSeen / total.rows) * 1000) / 10)) : null;
        if (percent !== null) tr.percent = percent;
        const etaSeconds = total && rowsPerSecond && rowsPerSecond > 0 ? Math.max(0, (total.rows - s.rowsSeen) / rowsPerSecond) : null;
        count++;
        rowsSeen += s.rowsSeen;
        rowsTotal = rowsTotal === null || !total ? null : rowsTotal + total.rows;
        rate = rate === null || rowsPerSecond === null ? null : rate + rowsPerSecond;
        return { ...t, snapshot: { ...s, percent, rowsPerSecond, etaSeconds, total } };
      });
      for (const id of [...tracks.keys()]) if (!running.has(id)) tracks.delete(id);
      if (count === 0) return { tables: out, overall: null };
      const percent = rowsTotal ? Math.min(99.9, Math.floor((rowsSeen / rowsTotal) * 1000) / 10) : null;
      const etaSeconds = rowsTotal !== null && rate ? Math.max(0, (rowsTotal - rowsSeen) / rate) : null;
      return { tables: out, overall: { tables: count, rowsSeen, rowsTotal, percent, rowsPerSecond: rate, etaSeconds } };
    },
  };
}
