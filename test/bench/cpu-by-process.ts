/**
 * CPU per second by process group, read from /proc (Linux only): what shares the machine's cores while a
 * measurement runs. Groups are given as pids (Kafka, Connect, the engine…) or matched by command name
 * (`postgres`, `mariadbd`: a server's backends are processes of their own); the rest is `other`. Used by
 * the lag probe (`--cpu`).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

interface Proc { pid: number; comm: string; ticks: number }

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
    // pid (comm) state ppid … utime(14) stime(15): comm may hold spaces and parentheses, so split after the last ')'.
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    out.push({ pid: Number(name), comm: stat.slice(stat.indexOf('(') + 1, close), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return out;
}

export interface CpuGroups { byPid: () => Map<number, string>; byComm: Record<string, string> }

/** Samples about every second until stopped; `stop` returns one row per sample: group → cores used over it. */
export function sampleCpu(groups: CpuGroups): { stop: () => Array<Record<string, number>> } {
  const rows: Array<Record<string, number>> = [];
  let last = new Map<number, number>(processes().map((p) => [p.pid, p.ticks]));
  let lastAt = performance.now();
  const timer = setInterval(() => {
    // Per second of wall time, whenever the timer ran (a busy event loop delays it).
    const at = performance.now();
    const seconds = (at - lastAt) / 1000;
    lastAt = at;
    const pids = groups.byPid();
    const row: Record<string, number> = {};
    const now = new Map<number, number>();
    for (const p of processes()) {
      now.set(p.pid, p.ticks);
      const d = p.ticks - (last.get(p.pid) ?? p.ticks);
      if (d <= 0) continue;
      const g = pids.get(p.pid) ?? groups.byComm[p.comm] ?? 'other';
      row[g] = (row[g] ?? 0) + d / TICKS_PER_SECOND / seconds;
    }
    last = now;
    rows.push(row);
  }, 1000);
  return { stop: () => { clearInterval(timer); return rows; } };
}

/** One line per second: `  3 s: connect 0.92, kafka 0.31, …` (groups in the order given, then the rest). */
export function formatCpu(rows: Array<Record<string, number>>, order: string[]): string {
  return rows.map((r, i) => {
    const names = [...order.filter((g) => g in r), ...Object.keys(r).filter((g) => !order.includes(g)).sort()];
    return `${String(i).padStart(3)} s: ${names.map((g) => `${g} ${r[g]!.toFixed(2)}`).join(', ')}`;
  }).join('\n');
}
