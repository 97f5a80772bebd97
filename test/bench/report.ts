/** The figures table (stdout) and the JSON file under test/bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LagFigures } from './lag.ts';

export interface TargetFigures {
  name: string;
  snapshotEvPerSec: number | null;
  mixedEvPerSec: number | null;
  /** ready → first commit (ms): group join + first fetch. */
  firstCommitMs: number | null;
  lag: LagFigures | null;
  peakRssMb: number | null;
  cpuSec: number | null;
  rowsCheck: string;
}

export interface BenchResult {
  startedAt: string;
  args: Record<string, unknown>;
  machine: { cpus: number; node: string };
  records: { snapshot: number; mixed: number; lag: number; lagSourceRate: number };
  targets: TargetFigures[];
  ratios: Record<string, number | null>;
  notes: string[];
}

const fmt = (x: number | null | undefined, d = 0): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));

export function ratios(t: TargetFigures[]): Record<string, number | null> {
  const by = (n: string) => t.find((x) => x.name === n);
  const r = (a: number | null | undefined, b: number | null | undefined) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const ceil = by('ceiling'); const sl = by('engine→sqlite'); const pgE = by('engine→postgres'); const dbz = by('debezium-jdbc→postgres');
  return {
    'snapshot pg/debezium': r(pgE?.snapshotEvPerSec, dbz?.snapshotEvPerSec),
    'mixed pg/debezium': r(pgE?.mixedEvPerSec, dbz?.mixedEvPerSec),
    'snapshot sqlite/debezium': r(sl?.snapshotEvPerSec, dbz?.snapshotEvPerSec),
    'mixed sqlite/debezium': r(sl?.mixedEvPerSec, dbz?.mixedEvPerSec),
    'snapshot sqlite/ceiling': r(sl?.snapshotEvPerSec, ceil?.snapshotEvPerSec),
    'mixed sqlite/ceiling': r(sl?.mixedEvPerSec, ceil?.mixedEvPerSec),
    'snapshot pg/ceiling': r(pgE?.snapshotEvPerSec, ceil?.snapshotEvPerSec),
    'mixed pg/ceiling': r(pgE?.mixedEvPerSec, ceil?.mixedEvPerSec),
    'lag p99 pg/debezium': r(pgE?.lag?.p99Dbz, dbz?.lag?.p99Dbz),
  };
}

export function printTable(res: BenchResult): string {
  const head = ['target', 'snapshot ev/s', 'mixed ev/s', '1st commit ms', 'lag p50/p99 ms (dbz ts)', 'lag p50/p99 ms (source ts)', 'lag p50/p99 ms (kafka ts)', 'peak RSS MB', 'CPU s', 'rows'];
  const rows = res.targets.map((t) => [
    t.name, fmt(t.snapshotEvPerSec), fmt(t.mixedEvPerSec), fmt(t.firstCommitMs),
    t.lag ? `${fmt(t.lag.p50Dbz)} / ${fmt(t.lag.p99Dbz)}` : '–',
    t.lag ? `${fmt(t.lag.p50)} / ${fmt(t.lag.p99)}` : '–',
    t.lag ? `${fmt(t.lag.p50Kafka)} / ${fmt(t.lag.p99Kafka)}` : '–',
    fmt(t.peakRssMb), fmt(t.cpuSec, 1), t.rowsCheck,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join(' | ');
  const out = [
    `records: snapshot ${res.records.snapshot}, mixed ${res.records.mixed}, lag run ${res.records.lag} per consumer (source workload up to ${fmt(res.records.lagSourceRate)} ops/s)`,
    line(head), w.map((n) => '-'.repeat(n)).join('-|-'), ...rows.map(line), '',
    'ratios: ' + Object.entries(res.ratios).map(([k, v]) => `${k} ${v === null ? '–' : v.toFixed(2)}`).join('; '),
    ...res.notes.map((n) => `note: ${n}`),
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
