/**
 * Committed positions of one consumer (engine child, ceiling child or the JDBC sink's consumer group)
 * on the partitions of `<ctx>-cdc`: every commit is kept with its time, so throughput (time until given
 * offsets are reached) and per-record lag (commit time − source time) can both be derived.
 */
import { sleep } from '../harness/util.ts';

export interface Commit { p: number; next: bigint; at: number }

export class Progress {
  readonly next = new Map<number, bigint>();
  readonly commits: Commit[] = [];
  firstCommitAt: number | null = null;

  commit(p: number, next: bigint, at: number): void {
    const prev = this.next.get(p);
    if (prev !== undefined && next <= prev) return;
    this.next.set(p, next);
    this.commits.push({ p, next, at });
    this.firstCommitAt ??= at;
  }

  reached(targets: Map<number, bigint>): boolean {
    for (const [p, t] of targets) if ((this.next.get(p) ?? 0n) < t) return false;
    return true;
  }

  /** Time of the commit that made every partition reach its target (null when not reached). */
  reachedAt(targets: Map<number, bigint>): number | null {
    let at = 0;
    for (const [p, t] of targets) {
      if (t === 0n) continue;
      const c = this.commits.find((x) => x.p === p && x.next >= t);
      if (!c) return null;
      at = Math.max(at, c.at);
    }
    return at;
  }

  /** Resolves with reachedAt() once every target is reached; throws after timeoutMs. */
  async waitReached(targets: Map<number, bigint>, timeoutMs: number, what: string, check?: () => Promise<void>): Promise<number> {
    const until = Date.now() + timeoutMs;
    let nextCheck = Date.now() + 1000;
    for (;;) {
      if (check && Date.now() >= nextCheck) { await check(); nextCheck = Date.now() + 1000; }
      const at = this.reachedAt(targets);
      if (at !== null) return at;
      if (Date.now() > until) {
        const pos = [...targets].map(([p, t]) => `${p}:${this.next.get(p) ?? 0n}/${t}`).join(' ');
        throw new Error(`${what}: offsets not reached within ${timeoutMs} ms (${pos})`);
      }
      await sleep(50);
    }
  }
}
