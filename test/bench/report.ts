/** The figures table (stdout) and the JSON file under test/bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LagFigures } from './lag.ts';

export const CEILING = 'ceiling (fetch+parse)';
export const TRANSPORT = 'transport (fetch only)';
export const SQLITE = 'engine→sqlite';
export const PG = 'engine→postgres';
export const SINK = 'debezium-jdbc→postgres';

export interface TargetFigures {
  name: string;
  /** One entry per run (in run order). */
  snapshotEvPerSec: number[];
  mixedEvPerSec: number[];
  /** start → first commit (ms) of each snapshot run (throughput.ts: an engine's start is its fork; a ceiling's, its consumer running; the sink's, its creation request). */
  firstCommitMs: number[];
  /** start → first commit (ms) of each mixed run (an engine's start: it runs; the sink's: its resume). */
  mixedFirstCommitMs: number[];
  lag: LagFigures | null;
  /** The lag while another stack loads the machine (engine targets), with the rate its own source reached. */
  lagLoaded?: LagFigures & { sourceOpsPerSec: number };
  peakRssMb: number | null;
  cpuSec: number[];
  /** Per run: 'equal' or what differs from the source (checksums). */
  contents: string[];
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  args: Record<string, unknown>;
  machine: { cpus: number; node: string; loadBefore: number[]; loadAfter: number[] };
  records: { snapshot: number; mixed: number; lag: number; lagSourceRate: number };
  order: string[][];
  /** The other stack's source during the loaded lag runs. */
  otherLoad: { ops: number; opsPerSec: number } | null;
  sinkConfig: Record<string, string>;
  targets: TargetFigures[];
  ratios: Record<string, number | null>;
  notes: string[];
  failed: string[];
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const fmt = (x: number | null | undefined, d = 0): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
const spread = (xs: number[]): string => (xs.length ? `${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})` : '–');

export function ratios(t: TargetFigures[]): Record<string, number | null> {
  const by = (n: string) => t.find((x) => x.name === n);
  const r = (a: number[] | undefined, b: number[] | undefined) => {
    const x = a && median(a); const y = b && median(b);
    return x && y ? Math.round((x / y) * 100) / 100 : null;
  };
  const ceil = by(CEILING); const tr = by(TRANSPORT); const sl = by(SQLITE); const pgE = by(PG); const dbz = by(SINK);
  const out: Record<string, number | null> = {};
  for (const ph of ['snapshot', 'mixed'] as const) {
    const k = ph === 'snapshot' ? 'snapshotEvPerSec' : 'mixedEvPerSec';
    out[`${ph} pg/sink`] = r(pgE?.[k], dbz?.[k]);
    out[`${ph} sqlite/sink`] = r(sl?.[k], dbz?.[k]);
    out[`${ph} sqlite/ceiling`] = r(sl?.[k], ceil?.[k]);
    out[`${ph} pg/ceiling`] = r(pgE?.[k], ceil?.[k]);
    out[`${ph} sink/ceiling`] = r(dbz?.[k], ceil?.[k]);
    out[`${ph} ceiling/transport`] = r(ceil?.[k], tr?.[k]);
  }
  const p99 = (x: TargetFigures | undefined) => (x?.lag ? [x.lag.p99Dbz] : undefined);
  out['lag p99 pg/sink'] = r(p99(pgE), p99(dbz));
  const rowP99 = (x: TargetFigures | undefined) => (x?.lag?.row ? [x.lag.row.p99] : undefined);
  out['lag p99 (row commit ts) pg/sink'] = r(rowP99(pgE), rowP99(dbz));
  return out;
}

export function printTable(res: BenchResult): string {
  const head = ['target', 'snapshot ev/s median (min–max)', 'mixed ev/s median (min–max)', '1st commit ms snapshot / mixed', 'lag p50/p99 ms (dbz ts)', 'lag p50/p99 ms (kafka ts)', 'lag p50/p99 ms (row commit ts)', 'under load: lag p50/p99 ms (dbz ts), source ops/s', 'peak RSS MB', 'snapshot CPU s (median)', 'contents'];
  const rows = res.targets.map((t) => [
    t.name, spread(t.snapshotEvPerSec), spread(t.mixedEvPerSec), `${fmt(median(t.firstCommitMs))} / ${fmt(median(t.mixedFirstCommitMs))}`,
    t.lag ? `${fmt(t.lag.p50Dbz)} / ${fmt(t.lag.p99Dbz)}` : '–',
    t.lag ? `${fmt(t.lag.p50Kafka)} / ${fmt(t.lag.p99Kafka)}` : '–',
    t.lag?.row ? `${fmt(t.lag.row.p50)} / ${fmt(t.lag.row.p99)}` : '–',
    t.lagLoaded ? `${fmt(t.lagLoaded.p50Dbz)} / ${fmt(t.lagLoaded.p99Dbz)}, ${fmt(t.lagLoaded.sourceOpsPerSec)}` : '–',
    fmt(t.peakRssMb), fmt(median(t.cpuSec), 1), t.contents.length ? (t.contents.every((c) => c === 'equal') ? `equal ×${t.contents.length}` : 'DIFFERS') : '–',
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ');
  const out = [
    `records: snapshot ${res.records.snapshot}, mixed ${res.records.mixed}, lag run ${res.records.lag} per consumer (source workload up to ${fmt(res.records.lagSourceRate)} ops/s)`,
    `load average before ${res.machine.loadBefore.map((x) => x.toFixed(2)).join(' ')}, after ${res.machine.loadAfter.map((x) => x.toFixed(2)).join(' ')}; run orders: ${res.order.map((o) => o.join(' → ')).join(' | ')}`,
    line(head), w.map((n) => '-'.repeat(n)).join('-|-'), ...rows.map(line), '',
    'ratios (medians): ' + Object.entries(res.ratios).map(([k, v]) => `${k} ${v === null ? '–' : v.toFixed(2)}`).join('; '),
    ...res.notes.map((n) => `note: ${n}`),
    ...res.failed.map((f) => `FAILED: ${f}`),
  ].join('\n');
  console.log(out);
  return out;
}

export function writeJson(res: BenchResult): string {
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${res.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(res, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2));
  return file;
}
