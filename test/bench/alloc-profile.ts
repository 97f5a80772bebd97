/**
 * Where the engine's JS heap allocations come from, garbage included: V8's sampling heap profiler with the
 * objects later collected by minor and major GCs kept in the profile (the plain `--heap-prof` keeps only
 * what is still alive at the end, which hides short-lived garbage — most of what makes the scavenges).
 *
 * Started by the bench child when `BENCH_ALLOC_PROFILE=<file>` is in its environment (memory probe:
 * `--variants 'postgres:env=BENCH_ALLOC_PROFILE=/tmp/a.json'`), written to that file when the engine
 * stops. `node test/bench/alloc-profile.ts <file> [records]` prints bytes per record by allocating
 * function, self and inclusive. Sampled (one sample per 16 KiB on average): figures under ~50 bytes per
 * record are noise.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: ProfileNode[] }

/** Starts sampling; the returned function stops it and writes the profile to `file`. */
export async function startAllocationProfile(file: string): Promise<() => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}

function report(file: string, records: number): void {
  const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode }).head;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode, stack: string[]): void => {
    const f = n.callFrame;
    const label = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    const path = [...stack, label];
    if (n.selfSize) {
      total += n.selfSize;
      self.set(label, (self.get(label) ?? 0) + n.selfSize);
      for (const l of new Set(path)) inclusive.set(l, (inclusive.get(l) ?? 0) + n.selfSize);
    }
    for (const c of n.children) walk(c, path);
  };
  walk(head, []);
  const show = (title: string, m: Map<string, number>): void => {
    console.log(title);
    for (const [l, b] of [...m].sort((x, y) => y[1] - x[1]).slice(0, 30)) console.log(`${(b / records).toFixed(0).padStart(8)} B/record  ${l}`);
  };
  show('self', self);
  show('inclusive', inclusive);
  console.log(`total ${(total / records).toFixed(0)} B/record (${(total / 1048576).toFixed(0)} MB over ${records} records)`);
}

if (import.meta.main) {
  const [file, records] = process.argv.slice(2);
  if (!file) { console.error('usage: node test/bench/alloc-profile.ts <profile.json> [records]'); process.exit(2); }
  report(file, Number(records ?? 200_000));
}
