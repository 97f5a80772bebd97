/**
 * `node test/bench/memory-probe.ts [--rows 200000] [--mixed-ops 0] [--variants 'sqlite:;postgres:;sqlite:maxBytes=1048576;…']`
 * Where the engine's memory goes: on a private stack, one tenant seeded with --rows; then the engine
 * reads the initial snapshot once per variant, each into a fresh replica, one at a time (with
 * --mixed-ops, a mixed insert/update/delete stream of that many operations, written before the first
 * variant, is then read by a second engine process on the same replica, timed as the bench's mixed
 * phase: from the engine running), and the
 * peak RSS of its process is printed with the V8 heap / external split at that moment, beside the
 * throughput (so a smaller footprint that costs speed shows). Variants are separated by `;`, each `target:key=value,…` with
 * target sqlite|postgres and keys maxBytes, readAheadBytes, databaseBatchSize, fetchThread (on|off|auto), booleans as true|false (settings), node (a
 * V8/Node flag for the engine process, e.g. node=--max-semi-space-size=4) or env (a variable of the engine process, e.g.
 * env=MALLOC_ARENA_MAX=4).
 */
import '../../main/no-timeout-negative-warning.ts'; // kafkajs's negative timeouts (main/no-timeout-negative-warning.ts)
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { settingsSchema } from '../../preload/contract/settings.ts';
import { CRM_TABLES } from '../harness/crm-schema.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { makeTempDir, removeDir } from '../harness/util.ts';
import type { BenchChild } from './runner.ts';
import { runChildPhase } from './throughput.ts';
import { highs, recordsBetween, stableHighs } from './topic.ts';

const { values: a } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, variants: { type: 'string', default: 'sqlite:;postgres:' }, 'mixed-ops': { type: 'string', default: '0' } } });
const mixedOps = Number(a['mixed-ops']);
const tmp = makeTempDir('tm-memprobe');
let stack: Stack | null = null;
const children: BenchChild[] = [];
try {
  stack = await startStack({ connectHeapMb: 768 });
  const tables = CRM_TABLES.map((t) => t.name).filter((t) => t !== 'udcontactsmall');
  const tenant = await stack.createTenant({ seedRows: Number(a.rows), tables, snapshotTimeoutMs: 3_600_000 });
  const low = highs(await tenant.offsets(), 'low');
  const h1 = await stableHighs(tenant);
  const records = recordsBetween(low, h1);
  console.log(`snapshot: ${records} records`);
  const variants: Array<{ v: string; settings: ReturnType<typeof settingsSchema.parse>; node: string[]; env: Record<string, string> }> = [];
  let i = 0;
  for (const v of a.variants.split(';').filter(Boolean)) {
    const [target, opts = ''] = v.split(':') as [string, string?];
    const extra: Record<string, number | boolean | string> = {};
    const node: string[] = [];
    const env: Record<string, string> = {};
    for (const kv of opts.split(',').filter(Boolean)) {
      const [k, val] = kv.split('=') as [string, string];
      if (k === 'node') node.push(kv.slice('node='.length));
      else if (k === 'env') { const [n, ...rest] = kv.slice('env='.length).split('='); env[n!] = rest.join('='); } else extra[k] = val === 'true' || val === 'false' ? val === 'true' : Number.isNaN(Number(val)) ? val : Number(val);
    }
    let replica;
    if (target === 'sqlite') replica = { kind: 'sqlite', file: join(tmp, `r${i++}.db`) };
    else {
      const db = await stack.createPostgresDatabase();
      replica = { kind: 'postgres', host: db.host, port: db.port, database: db.name, user: db.user, ssl: false };
    }
    variants.push({ v, node, env, settings: settingsSchema.parse({ tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica, logLevel: 'warn', ...extra }) });
  }
  /** One engine run per variant up to `to`, one at a time, with the variant's environment. */
  const phase = async (suffix: string, count: number, to: Map<number, bigint>, clock: 'fork' | 'running'): Promise<void> => {
    for (const { v, settings, node, env } of variants) {
      const label = v + suffix;
      const saved = { ...process.env };
      Object.assign(process.env, env);
      const r = await runChildPhase(label, 'engine', settings, count, undefined, to, node, children, undefined, undefined, clock).finally(() => { for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; });
      const m = r.atPeak;
      console.log(`${label.padEnd(50)} ${Math.round(r.evPerSec)} ev/s, peak RSS ${r.peakRssMb} MB (V8 heap ${m?.heapUsedMb} used / ${m?.heapTotalMb} total, external ${m?.externalMb}, ArrayBuffers ${m?.arrayBuffersMb}; kernel: anon ${m?.anonMb ?? '–'}, file ${m?.fileMb ?? '–'}; fetch thread heap ${m?.fetchThreadHeapMb ? `${m.fetchThreadHeapMb.used} / ${m.fetchThreadHeapMb.total}` : '–'}), CPU ${r.cpuSec?.toFixed(1)} s, first commit ${r.firstCommitMs} ms, end ${r.observedEndMs} ms`);
    }
  };
  await phase('', records, h1, 'fork');
  if (mixedOps > 0) {
    // Written once every variant has read the snapshot (an engine reads on until it is stopped).
    await tenant.source.workload({ ops: mixedOps, concurrency: 8, seed: 11 });
    const h2 = await stableHighs(tenant);
    const mixed = recordsBetween(h1, h2);
    console.log(`mixed stream: ${mixedOps} operations, ${mixed} records`);
    await phase(' mixed', mixed, h2, 'running');
  }
} finally {
  for (const c of children) await c.stop().catch(() => undefined);
  await stack?.stop();
  removeDir(tmp);
}
