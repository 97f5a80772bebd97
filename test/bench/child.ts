/**
 * The measured process of the bench (forked by runner.ts, one per run), so that its RSS and CPU are its
 * own. Modes:
 *   - `engine`: the real engine (createEngine) on the configured replica; every committed apply unit is
 *     reported with the partition's next offset (from the unit's offset state row) and the commit time;
 *   - `ceiling` / `transport`: the true ceiling (fetch + JSON.parse of every record) and the fetch alone
 *     (runCeiling below), no replica at all.
 * Messages to the parent: {t:'ready'}, {t:'commit', p, next, at}, {t:'counted', records, parsed}, {t:'done', peakRssMb, cpuMs}.
 * From the parent: {t:'stop'}.
 */
import '../../main/no-timeout-negative-warning.ts'; // kafkajs's negative timeouts (main/no-timeout-negative-warning.ts)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Settings } from '../../preload/contract/settings.ts';
import { createEngine } from '../../main/engine/engine.ts';
import type { Engine } from '../../main/engine/engine.ts';
import { createLogger } from '../../main/engine/log.ts';
import { createReplica } from '../../main/engine/replica/create-replica.ts';
import type { ApplyUnit } from '../../main/engine/replica/replica.ts';
import { PAYLOAD_MARK, SCHEMA_HEAD } from '../../main/engine/decode/compact.ts';
import { createKafka } from '../../main/engine/source/kafka-client.ts';
import { fetchThreadHeaps } from '../../main/engine/source/fetch-thread.ts';
import { startAllocationProfile } from './alloc-profile.ts';

/** `anonMb` / `fileMb`: the kernel's split of the RSS (anonymous: heaps, malloc, thread stacks; file: the binary, libraries, mapped files), null off Linux. */
export interface MemoryAtPeak {
  heapUsedMb: number; heapTotalMb: number; externalMb: number; arrayBuffersMb: number; anonMb: number | null; fileMb: number | null;
  /** The fetch thread's V8 heap (used / total), its last reading before the peak; null without the thread. */
  fetchThreadHeapMb: { used: number; total: number } | null;
}
export type ChildMode = 'engine' | 'ceiling' | 'transport';
/**
 * `from`: partition → offset where the ceiling consumer starts (default: the beginning); `fetchMb`: the
 * ceilings' bytes per fetch (a quarter of it per partition; default 64).
 */
export interface ChildConfig { mode: ChildMode; settings: Settings; from?: Record<string, string>; fetchMb?: number }
export type ChildMessage =
  | { t: 'ready' }
  | { t: 'commit'; p: number; next: string; at: number }
  | { t: 'done'; peakRssMb: number; cpuMs: number; atPeak: MemoryAtPeak }
  | { t: 'counted'; records: number; parsed: number }
  | { t: 'error'; message: string };

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const send = (m: ChildMessage): void => { process.send?.(m); };
const log = createLogger((process.env.BENCH_LOG_LEVEL as 'debug' | 'info' | undefined) ?? 'warn');
const cdcTopic = `${cfg.settings.tenant.ctx}-cdc`;
const offsetPrefix = `offset:${cdcTopic}:`;

/** Peak RSS, and where the memory was at that moment (V8 heap used / total, external incl. Buffers). */
let peakRss = process.memoryUsage.rss();
let atPeak: MemoryAtPeak = { heapUsedMb: 0, heapTotalMb: 0, externalMb: 0, arrayBuffersMb: 0, anonMb: null, fileMb: null, fetchThreadHeapMb: null };
/** The fetch thread's heap, read every 100 ms (asynchronously: the sample below takes the last reading). */
let threadHeap: MemoryAtPeak['fetchThreadHeapMb'] = null;
const threadSampler = setInterval(() => {
  void fetchThreadHeaps().then((hs) => {
    threadHeap = hs.length ? { used: mb(hs.reduce((n, h) => n + h.used, 0)), total: mb(hs.reduce((n, h) => n + h.total, 0)) } : null;
  });
}, 100);
const mb = (x: number): number => Math.round(x / 1048576);
/** RssAnon / RssFile of /proc/self/status in MB (null where there is none). */
const kernelSplit = (): { anonMb: number | null; fileMb: number | null } => {
  let status: string;
  try { status = readFileSync('/proc/self/status', 'utf8'); } catch { return { anonMb: null, fileMb: null }; }
  const kb = (field: string): number | null => { const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status); return m ? Math.round(Number(m[1]) / 1024) : null; };
  return { anonMb: kb('RssAnon'), fileMb: kb('RssFile') };
};
const sample = (): void => {
  const rss = process.memoryUsage.rss();
  if (rss < peakRss && atPeak.heapTotalMb) return;
  peakRss = Math.max(peakRss, rss);
  const m = process.memoryUsage();
  atPeak = { heapUsedMb: mb(m.heapUsed), heapTotalMb: mb(m.heapTotal), externalMb: mb(m.external), arrayBuffersMb: mb(m.arrayBuffers), ...kernelSplit(), fetchThreadHeapMb: threadHeap };
};
const sampler = setInterval(sample, 100);

async function runEngine(): Promise<() => Promise<void>> {
  log.debug('bench child: running', { sinceForkMs: Math.round(performance.now()) });
  const replica = await createReplica(cfg.settings);
  const apply = replica.apply.bind(replica);
  replica.apply = async (unit: ApplyUnit) => {
    const deltas = await apply(unit);
    const at = Date.now();
    for (const s of unit.state) {
      if (s.kind !== 'offset' || !s.id.startsWith(offsetPrefix)) continue;
      send({ t: 'commit', p: Number(s.id.slice(offsetPrefix.length)), next: (JSON.parse(s.value) as { next: string }).next, at });
    }
    return deltas;
  };
  const engine: Engine = await createEngine(cfg.settings, { log, replica });
  await engine.provision();
  const profile = process.env.BENCH_ALLOC_PROFILE;
  const stopProfile = profile ? await startAllocationProfile(profile) : null;
  log.debug('bench child: provisioned', { sinceForkMs: Math.round(performance.now()) });
  await engine.start();
  log.debug('bench child: engine started', { sinceForkMs: Math.round(performance.now()) });
  return async () => {
    await stopProfile?.();
    await engine.stop();
  };
}

/**
 * The true ceiling (`ceiling`) and the transport-only figure (`transport`): no replica, nothing of the
 * engine but its kafkajs client factory. All partitions are fetched concurrently with large fetches
 * (`fetchMb` per fetch, a quarter of it per partition, whatever the engine's settings say; the bench
 * runs two sizes and keeps the faster); `ceiling` JSON-parses every record's key and value payload
 * (parsePayload) and counts them (a record that does not parse, or a value without a `payload`, fails
 * the run); `transport` only counts the records kafkajs delivered.
 */
/**
 * The payload of a JsonConverter record `{"schema":S,"payload":P}`, parsed. The schema part is the
 * same for every record of a table version, so no consumer needs to parse it, nor even to make a string
 * of it, each time (the engine does neither): the bytes after the first `,"payload":` are parsed alone,
 * and when they are not valid JSON (the marker occurred inside the schema) the whole record is. Throws
 * when neither parses or there is no payload.
 */
function parsePayload(buf: Buffer): unknown {
  const mark = buf.indexOf(PAYLOAD_MARK, SCHEMA_HEAD.length);
  if (mark > 0 && buf[buf.length - 1] === 0x7d && buf.compare(SCHEMA_HEAD, 0, SCHEMA_HEAD.length, 0, SCHEMA_HEAD.length) === 0) {
    try { return JSON.parse(buf.toString('utf8', mark + PAYLOAD_MARK.length, buf.length - 1)); } catch { /* split inside the schema: parse it all */ }
  }
  const v = JSON.parse(buf.toString('utf8')) as { payload?: unknown };
  if (typeof v !== 'object' || v === null || !('payload' in v)) throw new Error('no payload');
  return v.payload;
}

async function runCeiling(parse: boolean): Promise<() => Promise<void>> {
  const s = cfg.settings;
  const kafka = createKafka(s.tenant, log);
  const consumer = kafka.consumer({
    groupId: `tenant-mirror-bench.${cfg.mode}.${randomBytes(4).toString('hex')}`, sessionTimeout: 30_000, heartbeatInterval: 3_000,
    maxBytesPerPartition: (cfg.fetchMb ?? 64) * 256 * 1024, maxBytes: (cfg.fetchMb ?? 64) * 1024 * 1024, maxWaitTimeInMs: 100, minBytes: 1, allowAutoTopicCreation: false,
  });
  let records = 0;
  let parsed = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: cdcTopic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [p, o] of Object.entries(cfg.from ?? {})) consumer.seek({ topic: cdcTopic, partition: Number(p), offset: o });
  });
  await consumer.run({
    autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 16,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (!batch.messages.length) return;
      for (const m of batch.messages) {
        records++;
        if (!parse) continue;
        try {
          if (m.key) parsePayload(m.key);
          if (m.value) parsePayload(m.value);
          parsed++;
        } catch (err) {
          send({ t: 'error', message: `ceiling: record ${batch.partition}@${m.offset} does not parse: ${(err as Error).message}` });
          setTimeout(() => process.exit(1), 100);
          throw err;
        }
      }
      const last = batch.messages[batch.messages.length - 1]!.offset;
      resolveOffset(last);
      send({ t: 'commit', p: batch.partition, next: (BigInt(last) + 1n).toString(), at: Date.now() });
    },
  });
  return async () => { await consumer.disconnect(); send({ t: 'counted', records, parsed }); };
}

let stop: (() => Promise<void>) | null = null;
process.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  void (async () => {
    await stop?.().catch(() => undefined);
    clearInterval(sampler);
    clearInterval(threadSampler);
    sample();
    const u = process.resourceUsage();
    send({ t: 'done', peakRssMb: mb(peakRss), atPeak, cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000) });
    setTimeout(() => process.exit(0), 100);
  })();
});

try {
  stop = cfg.mode === 'engine' ? await runEngine() : await runCeiling(cfg.mode === 'ceiling');
  send({ t: 'ready' });
} catch (err) {
  send({ t: 'error', message: (err as Error).stack ?? String(err) });
  setTimeout(() => process.exit(1), 100);
}
