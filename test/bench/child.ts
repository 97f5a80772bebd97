/**
 * The measured process of the bench (forked by runner.ts, one per run), so that its RSS and CPU are its
 * own. Modes:
 *   - `engine`: the real engine (createEngine) on the configured replica; every committed apply unit is
 *     reported with the partition's next offset (from the unit's offset state row) and the commit time;
 *   - `ceiling`: the same kafkajs consumer settings + the engine's EnvelopeDecoder, no replica at all.
 * Messages to the parent: {t:'ready'}, {t:'commit', p, next, at}, {t:'done', peakRssMb, cpuMs}.
 * From the parent: {t:'stop'}.
 */
import { randomBytes } from 'node:crypto';
import type { Settings } from '../../preload/contract/settings.ts';
import { createEngine } from '../../main/engine/engine.ts';
import type { Engine } from '../../main/engine/engine.ts';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { createLogger } from '../../main/engine/log.ts';
import { createReplica } from '../../main/engine/replica/create-replica.ts';
import type { ApplyUnit } from '../../main/engine/replica/replica.ts';
import { createKafka } from '../../main/engine/source/kafka-client.ts';

export type ChildMode = 'engine' | 'ceiling';
/** `from`: partition → offset where the ceiling consumer starts (default: the beginning). */
export interface ChildConfig { mode: ChildMode; settings: Settings; from?: Record<string, string> }
export type ChildMessage =
  | { t: 'ready' }
  | { t: 'commit'; p: number; next: string; at: number }
  | { t: 'done'; peakRssMb: number; cpuMs: number }
  | { t: 'error'; message: string };

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const send = (m: ChildMessage): void => { process.send?.(m); };
const log = createLogger('warn');
const cdcTopic = `${cfg.settings.tenant.ctx}-cdc`;
const offsetPrefix = `offset:${cdcTopic}:`;

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage.rss()); }, 100);

async function runEngine(): Promise<() => Promise<void>> {
  const replica = await createReplica(cfg.settings);
  const apply = replica.apply.bind(replica);
  replica.apply = async (unit: ApplyUnit) => {
    await apply(unit);
    const at = Date.now();
    for (const s of unit.state) {
      if (s.kind !== 'offset' || !s.id.startsWith(offsetPrefix)) continue;
      send({ t: 'commit', p: Number(s.id.slice(offsetPrefix.length)), next: (JSON.parse(s.value) as { next: string }).next, at });
    }
  };
  const engine: Engine = await createEngine(cfg.settings, { log, replica });
  await engine.provision();
  await engine.start();
  return () => engine.stop();
}

/** The consume-only ceiling: fetch + decode every record exactly as the engine does, then drop it. */
async function runCeiling(): Promise<() => Promise<void>> {
  const s = cfg.settings;
  const kafka = createKafka(s.tenant, log);
  const consumer = kafka.consumer({
    groupId: `tenant-mirror-bench.ceiling.${randomBytes(4).toString('hex')}`, sessionTimeout: 20_000, heartbeatInterval: 3_000,
    maxBytesPerPartition: Math.max(1_048_576, Math.floor(s.maxBytes / 2)), maxBytes: s.maxBytes,
    maxWaitTimeInMs: Math.round(s.maxPollTimeSeconds * 1000), minBytes: 1, allowAutoTopicCreation: false,
  });
  const decoder = new EnvelopeDecoder();
  let sink = 0;
  await consumer.connect();
  await consumer.subscribe({ topic: cdcTopic, fromBeginning: true });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [p, o] of Object.entries(cfg.from ?? {})) consumer.seek({ topic: cdcTopic, partition: Number(p), offset: o });
  });
  await consumer.run({
    autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
      if (!batch.messages.length) return;
      for (const m of batch.messages) {
        try {
          const d = decoder.decodeBuffers(m.key ?? null, m.value ?? null);
          if (d.kind === 'change') sink += d.op.length;
        } catch { /* counted by nobody: the ceiling only measures the work */ }
      }
      const last = batch.messages[batch.messages.length - 1]!.offset;
      resolveOffset(last);
      send({ t: 'commit', p: batch.partition, next: (BigInt(last) + 1n).toString(), at: Date.now() });
      await heartbeat();
    },
  });
  return async () => { await consumer.disconnect(); if (sink < 0) console.log(sink); };
}

let stop: (() => Promise<void>) | null = null;
process.on('message', (m: { t: string }) => {
  if (m.t !== 'stop') return;
  void (async () => {
    await stop?.().catch(() => undefined);
    clearInterval(sampler);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const u = process.resourceUsage();
    send({ t: 'done', peakRssMb: Math.round(peakRss / 1048576), cpuMs: Math.round((u.userCPUTime + u.systemCPUTime) / 1000) });
    setTimeout(() => process.exit(0), 100);
  })();
});

try {
  stop = cfg.mode === 'ceiling' ? await runCeiling() : await runEngine();
  send({ t: 'ready' });
} catch (err) {
  send({ t: 'error', message: (err as Error).stack ?? String(err) });
  setTimeout(() => process.exit(1), 100);
}
