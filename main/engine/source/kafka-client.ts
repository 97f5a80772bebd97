/**
 * kafkajs client from settings. Its log goes through our logger, and the line kafkajs writes when it
 * silently resets an out-of-range offset is turned into an event: that is a gap, never normal operation.
 */
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import type { ConsumerConfig, KafkaConfig, SASLOptions, logCreator } from 'kafkajs';
import type { Settings } from '../../../preload/contract/settings.ts';
import { resolveSecret } from '../config/secrets.ts';
import type { Logger } from '../log.ts';
import { installRecordBatchDecoder } from './record-batches.ts';

export const OUT_OF_RANGE_LOG = 'Offset out of range';

export function createKafka(tenant: Settings['tenant'], log: Logger, onOutOfRange?: (extra: Record<string, unknown>) => void): Kafka {
  useRecordBatchDecoder(log);
  const creator: logCreator = () => ({ namespace, level, log: entry }) => {
    const { message = '', ...extra } = (entry ?? {}) as { message?: string } & Record<string, unknown>;
    if (message.startsWith(OUT_OF_RANGE_LOG)) onOutOfRange?.(extra);
    // The group names the reader (`…cdc…`, `…notifications…`); nothing else of kafkajs's fields is passed on.
    const where = typeof extra['groupId'] === 'string' ? { namespace, groupId: extra['groupId'] } : { namespace };
    if (level <= logLevel.ERROR) log.warn(`kafka: ${message}`, where);
    else if (level === logLevel.WARN) log.debug(`kafka: ${message}`, where);
  };
  const cfg: KafkaConfig = {
    clientId: tenant.clientId,
    brokers: tenant.brokers,
    logCreator: creator,
    logLevel: logLevel.WARN,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
  };
  if (tenant.ssl) cfg.ssl = tenant.caFile ? { ca: [readFileSync(tenant.caFile, 'utf8')] } : true;
  if (tenant.sasl) {
    const password = resolveSecret(tenant.sasl.password, 'tenant.sasl.password') ?? '';
    cfg.sasl = { mechanism: tenant.sasl.mechanism, username: tenant.sasl.username, password } as SASLOptions;
  }
  return new Kafka(cfg);
}

/**
 * The `<ctx>-cdc` consumer's settings, in the apply thread or the fetch thread (fetch-thread.ts): fetches
 * wait for `minFetchBytes` (or `maxPollTimeSeconds`), as Kafka's fetch.min.bytes / fetch.max.wait.ms, so
 * a trickle of events is written in a few transactions instead of one small transaction per fetch and
 * partition. The apply thread reading for itself (PostgreSQL, SQL Server) asked for 1 byte until
 * 2026-12-05: at 1,300–1,800 source ops/s into PostgreSQL a quarter of the engine's time went to sending
 * those transactions' statements (docs/benchmarks.md, "Fetch fill on the apply thread": a quarter less CPU per event with the fill).
 */
export function cdcConsumerConfig(groupId: string, s: Pick<Settings, 'maxBytes' | 'maxPollTimeSeconds' | 'minFetchBytes'>): ConsumerConfig {
  return {
    groupId, sessionTimeout: 20_000, heartbeatInterval: 3_000,
    maxBytesPerPartition: Math.max(1_048_576, Math.floor(s.maxBytes / 2)), maxBytes: s.maxBytes,
    maxWaitTimeInMs: Math.round(s.maxPollTimeSeconds * 1000), minBytes: Math.min(s.minFetchBytes, s.maxBytes),
    allowAutoTopicCreation: false,
  };
}

let decoderChecked = false;

/**
 * Record batches decoded by the engine's pass (record-batches.ts) in this thread, from its next fetch on
 * (also where this thread's kafkajs fetched before); `TENANT_MIRROR_RECORD_DECODER=kafkajs` keeps kafkajs's
 * own (for an A/B, or should the pass misbehave).
 */
function useRecordBatchDecoder(log: Logger): void {
  if (decoderChecked) return;
  decoderChecked = true;
  if (process.env['TENANT_MIRROR_RECORD_DECODER'] === 'kafkajs') return;
  const why = installRecordBatchDecoder();
  if (why) log.warn('record batches are decoded by kafkajs', { why });
}
