/**
 * The `<ctx>-cdc` reader with its fetches on a thread of their own (fetch-thread-worker.ts): kafkajs's
 * fetches, record decoding and the split of each value from its schema then take none of the apply
 * thread's time, which decodes and writes. The apply thread keeps every decision: batches arrive packed
 * (packed-batch.ts) and go into the same apply feed as without the thread. The thread sends batches on
 * without waiting for each to be taken (waiting on the apply thread's turns stalled the fetches), up to a
 * window of bytes not yet taken by the feed: the feed's bound stops the fetches as before. A batch the
 * feed drops (a rebalance, a seek, the reader closing) is read again from where the replica says: each
 * assignment asks the apply thread, synchronously, where its partitions start, and a closed reader is
 * replaced by a new one. Heartbeats asked for while writing are sent on by the thread. A thread that fails
 * or exits is a consumer crash.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Settings } from '../../../preload/contract/settings.ts';
import { MirrorError } from '../errors.ts';
import type { ErrorData } from '../errors.ts';
import { ApplyFeed } from './apply-feed.ts';
import type { CdcConsumerOptions, CdcReader } from './cdc-consumer.ts';
import { BatchUnpacker } from './packed-batch.ts';
import type { PackedBatch } from './packed-batch.ts';

export interface FetchThreadData {
  tenant: Settings['tenant'];
  topic: string;
  groupId: string;
  settings: Pick<Settings, 'maxBytes' | 'maxPollTimeSeconds' | 'minFetchBytes'>;
  /** Most packed bytes sent and not yet taken by the apply feed; the thread stops fetching beyond it. */
  windowBytes: number;
}

/** From the fetch thread. */
export type FromFetch =
  | { t: 'ready' }
  | { t: 'failed'; mirror: ErrorData }
  | { t: 'failed'; name: string; message: string; retriable: boolean | undefined }
  | { t: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; msg: string; data: Record<string, unknown> | undefined }
  | { t: 'outOfRange'; extra: Record<string, unknown> }
  | { t: 'joined'; partitions: number[]; shared: SharedArrayBuffer }
  | { t: 'crash'; message: string; restart: boolean }
  | { t: 'batch'; batch: PackedBatch }
  | { t: 'closed' };

/** To the fetch thread. */
export type ToFetch = { t: 'ack'; bytes: number } | { t: 'heartbeat' } | { t: 'pause' } | { t: 'resume' } | { t: 'close' };

const CLOSE_WAIT_MS = 15_000;

/** The fetch threads running in this process. */
const live = new Set<Worker>();

/** V8 heap of each fetch thread running in this process, in bytes (diagnostics: the bench's memory figures). */
export async function fetchThreadHeaps(): Promise<Array<{ used: number; total: number; external: number }>> {
  const out = [];
  for (const w of live) {
    try {
      const h = await w.getHeapStatistics();
      out.push({ used: h.used_heap_size, total: h.total_heap_size, external: h.external_memory });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

/** The thread's entry: beside this file when run from source, in the bundle's folder when built. */
export function fetchThreadEntry(): URL | null {
  for (const rel of ['./fetch-thread-worker.ts', './fetch-thread-worker.js', '../fetch-thread-worker.js']) {
    const u = new URL(rel, import.meta.url);
    if (u.protocol === 'file:' && existsSync(fileURLToPath(u))) return u;
  }
  return null;
}

/** The thread itself could not start (its file does not load, it exited): the reader runs without it (cdc-consumer.ts). */
export class FetchThreadUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchThreadUnavailable';
  }
}

function startError(m: Extract<FromFetch, { t: 'failed' }>): Error {
  if ('mirror' in m) return MirrorError.fromData(m.mirror);
  const e = new Error(m.message) as Error & { retriable?: boolean };
  e.name = m.name;
  if (m.retriable !== undefined) e.retriable = m.retriable;
  return e;
}

export async function startFetchThread(o: CdcConsumerOptions, entry: URL): Promise<CdcReader> {
  const s = o.settings;
  // Batches come compacted already: the feed does not compact them again.
  const feed = new ApplyFeed({ ...o.hooks, compact: undefined }, s.readAheadBytes, s.databaseBatchSize, o.log);
  const data: FetchThreadData = { tenant: o.tenant, topic: o.topic, groupId: o.groupId, settings: { maxBytes: s.maxBytes, maxPollTimeSeconds: s.maxPollTimeSeconds, minFetchBytes: s.minFetchBytes }, windowBytes: Math.max(s.maxBytes, Math.floor(s.readAheadBytes / 4)) };
  const worker = new Worker(entry, { workerData: data, name: 'cdc-fetch' });
  live.add(worker);
  const unpacker = new BatchUnpacker();
  const post = (m: ToFetch): void => { if (!exited) worker.postMessage(m); };
  const heartbeat = async (): Promise<void> => post({ t: 'heartbeat' });
  let started = false;
  let closing = false;
  let exited = false;
  let onClosed: (() => void) | null = null;
  const running = new Promise<void>((resolve, reject) => {
    // Told once: a thread that fails also exits.
    let told = false;
    const failed = (err: Error): void => {
      if (!started) reject(err);
      else if (!closing && !told) { told = true; o.hooks.onCrash(err.message, false); }
    };
    worker.on('message', (m: FromFetch) => {
      switch (m.t) {
        case 'ready': started = true; resolve(); break;
        case 'failed': reject(startError(m)); break;
        case 'log': o.log[m.level](m.msg, m.data); break;
        case 'outOfRange': o.onOutOfRange?.(m.extra); break;
        case 'joined': {
          feed.reset();
          const at = new BigInt64Array(m.shared, 8, m.partitions.length);
          m.partitions.forEach((p, i) => { at[i] = BigInt(o.hooks.position(p)); });
          const flag = new Int32Array(m.shared, 0, 1);
          Atomics.store(flag, 0, 1);
          Atomics.notify(flag, 0);
          o.log.debug('cdc partitions assigned', { partitions: m.partitions, thread: 'fetch' });
          break;
        }
        case 'crash':
          o.log.error('kafka consumer crashed', { error: m.message, restart: m.restart });
          if (m.restart) feed.reset();
          o.hooks.onCrash(m.message, m.restart);
          break;
        case 'batch': {
          let messages;
          try { messages = unpacker.unpack(m.batch); } catch (err) {
            post({ t: 'ack', bytes: m.batch.bytes.byteLength });
            if (!closing) { closing = true; void feed.close(); o.hooks.onFailed(err); }
            break;
          }
          void feed.push(m.batch.partition, messages, heartbeat, () => !closing).then(() => post({ t: 'ack', bytes: m.batch.bytes.byteLength }));
          break;
        }
        case 'closed': onClosed?.(); break;
      }
    });
    worker.on('error', (err) => failed(new FetchThreadUnavailable(`the fetch thread failed: ${err.message}`)));
    worker.on('exit', (code) => {
      exited = true;
      live.delete(worker);
      onClosed?.();
      failed(new FetchThreadUnavailable(`the fetch thread exited (code ${code})`));
    });
  });
  try {
    await running;
  } catch (err) {
    closing = true;
    await worker.terminate();
    throw err;
  }
  return {
    pause: () => post({ t: 'pause' }),
    resume: () => post({ t: 'resume' }),
    close: async () => {
      closing = true;
      await feed.close();
      if (!exited) {
        const closed = new Promise<void>((resolve) => { onClosed = resolve; });
        post({ t: 'close' });
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([closed, new Promise<void>((resolve) => { timer = setTimeout(resolve, CLOSE_WAIT_MS); })]);
        clearTimeout(timer);
      }
      await worker.terminate();
    },
  };
}
