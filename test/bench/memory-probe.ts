/**
 * `node test/bench/memory-probe.ts [--rows 200000] [--variants 'sqlite:;postgres:;sqlite:maxBytes=1048576;…']`
 * Where the engine's memory goes: on a private stack, one tenant seeded with --rows; then the engine
 * reads the initial snapshot once per variant, each into a fresh replica, one at a time, and the
 * peak RSS of its process is printed with the V8 heap / external split at that moment, beside the
 * throughput (so a smaller footprint that costs speed shows). Variants are separated by `;`, each `target:key=value,…` with
 * target sqlite|postgres and keys maxBytes, readAheadBytes, databaseBatchSize, fetchThread (on|off|auto), booleans as true|false (settings), node (a
 * V8/Node flag for the engine process, e.g. node=--max-semi-space-size=4) or env (a variable of the engine process, e.g.
 * env=MALLOC_ARENA_MAX=4).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { settingsSchema } from '../../preload/contract/settings.ts';
import { CRM_TABLES } from '../harness/crm-schema.ts';
import { startStack, type Stack } from '../harness/stack.ts';
import { makeTempDir, removeDir } from '../harness/util.ts';
import type { BenchChild } from './runner.ts';
import { runChildPhase } from './throughput.ts';
import { highs, recordsBetween, stableHighs } from './topic.ts';

const { values: a } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, variants: { type: 'string', default: 'sqlite:;postgres:' } } });
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
    const settings = settingsSchema.parse({ tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica, logLevel: 'warn', ...extra });
    const saved = { ...process.env };
    Object.assign(process.env, env);
    const r = await runChildPhase(v, 'engine', settings, records, undefined, h1, node, children).finally(() => { for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k]; });
    const m = r.atPeak;
    console.log(`${v.padEnd(50)} ${Math.round(r.evPerSec)} ev/s, peak RSS ${r.peakRssMb} MB (V8 heap ${m?.heapUsedMb} used / ${m?.heapTotalMb} total, external ${m?.externalMb}, ArrayBuffers ${m?.arrayBuffersMb}), CPU ${r.cpuSec?.toFixed(1)} s`);
  }
} finally {
  for (const c of children) await c.stop().catch(() => undefined);
  await stack?.stop();
  removeDir(tmp);
}
