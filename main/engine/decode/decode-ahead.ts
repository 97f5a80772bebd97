/**
 * Decoding ahead of apply: messages fetched ahead (source/apply-feed.ts) are decoded before the engine
 * applies them — on a worker thread (decode-worker.ts) while the engine's thread writes the batch before
 * them, or, without the worker, in small slices on the engine's thread while a write awaits the network.
 *
 * Only what cannot have changed is kept: a result is used if the decoder's epoch (the schema hints it
 * decodes with) is the same when the message is applied; a message that failed to decode, a tombstone, a
 * truncate, or a message whose result is not there yet is decoded on the engine's thread when applied,
 * exactly as without this module (an error becomes poison there, with the table filter of that moment).
 * The worker is an accelerator only: if it cannot start or fails, decoding goes on without it.
 */
import { Worker } from 'node:worker_threads';
import type { KafkaMessage } from 'kafkajs';
import type { Row, RowValue, TableDef } from '../schema/table-model.ts';
import type { Decoded, EnvelopeDecoder } from './envelope.ts';
import type { WorkerAnswer, WorkerRequest } from './decode-worker.ts';
import type { Logger } from '../log.ts';

const SLICE = 256;
/** Worker batches in flight at most (each a fetched batch): beyond that, messages are decoded on apply. */
const MAX_IN_FLIGHT = 8;

/** The worker script next to this module: `.ts` from source, `.js` in the built app (electron.config.ts). */
const workerUrl = (): URL => new URL(import.meta.url.endsWith('.ts') ? './decode-worker.ts' : './decode-worker.js', import.meta.url);

/** A Buffer a worker sent comes back as a plain Uint8Array: made a Buffer again (no copy). */
function asBuffers(row: Row | null): void {
  if (!row) return;
  for (const k in row) {
    const v = row[k] as RowValue | Uint8Array;
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) row[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
}

export interface DecodeAheadOptions { worker: boolean; log: Logger }

export class DecodeAhead {
  private readonly done = new WeakMap<KafkaMessage, { epoch: number; d: Decoded }>();
  private readonly decoder: EnvelopeDecoder;
  private readonly accept: (schema: string, name: string) => boolean;
  private readonly log: Logger | null;
  private pending: KafkaMessage[] = [];
  private scheduled = false;
  private worker: Worker | null = null;
  private workerWanted: boolean;
  private hintsSent = -1;
  private nextId = 1;
  private readonly inFlight = new Map<number, KafkaMessage[]>();
  private readonly defs = new Map<string, TableDef>();

  constructor(decoder: EnvelopeDecoder, accept: (schema: string, name: string) => boolean, o?: DecodeAheadOptions) {
    this.decoder = decoder;
    this.accept = accept;
    this.workerWanted = o?.worker ?? false;
    this.log = o?.log ?? null;
  }

  /** Messages just fetched (queued to be applied): sent to the worker whole, if there is one. */
  fetched(messages: KafkaMessage[]): void {
    if (messages.length && this.workerWanted) this.toWorker(messages);
  }

  /** The messages applied next: without a worker, decoded a slice at a time when the event loop is idle (replacing what was pending). */
  next(messages: KafkaMessage[]): void {
    if (!messages.length || this.workerWanted) return;
    this.pending = messages.slice();
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  /** The message decoded as it would be now, or undefined (decode it). */
  take(m: KafkaMessage): Decoded | undefined {
    const r = this.done.get(m);
    if (!r) return undefined;
    this.done.delete(m);
    return r.epoch === this.decoder.epoch ? r.d : undefined;
  }

  /** Nothing pending any more (a reading dropped, the engine stopping): answers still on their way are ignored. */
  clear(): void {
    this.pending = [];
    this.inFlight.clear();
  }

  /** Stops the worker (the engine stops). */
  async close(): Promise<void> {
    this.clear();
    const w = this.worker;
    this.worker = null; // started again on the next fetch if the engine starts again
    this.hintsSent = -1;
    if (w) await w.terminate();
  }

  private slice(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0, SLICE);
    const epoch = this.decoder.epoch;
    for (const m of batch) {
      if (this.done.has(m)) continue;
      try {
        const d = this.decoder.decodeBuffers(m.key ?? null, m.value ?? null, this.accept);
        if (d.kind !== 'skipped') this.done.set(m, { epoch, d });
      } catch {
        // decoded again when applied: the error is handled there (poison), with the filter of that moment
      }
    }
    if (this.pending.length) { this.scheduled = true; setImmediate(() => this.slice()); }
  }

  private startWorker(): Worker | null {
    try {
      const w = new Worker(workerUrl(), { resourceLimits: { maxYoungGenerationSizeMb: 8 } });
      w.unref();
      w.on('message', (a: WorkerAnswer) => this.answered(a));
      w.on('error', (err) => this.workerFailed(w, err));
      w.on('exit', (code) => { if (this.worker === w) this.workerFailed(w, new Error(`exited with code ${code}`)); });
      return w;
    } catch (err) {
      this.workerFailed(null, err as Error);
      return null;
    }
  }

  private workerFailed(w: Worker | null, err: Error): void {
    if (w !== null && this.worker !== w) return;
    this.log?.warn('the decode worker failed: events are decoded on the engine\'s thread', { error: err.message });
    this.worker = null;
    this.workerWanted = false;
    this.inFlight.clear();
  }

  private toWorker(messages: KafkaMessage[]): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) return; // decoded on apply: the worker is behind
    this.worker ??= this.startWorker();
    const w = this.worker;
    if (!w) return;
    const epoch = this.decoder.epoch;
    if (this.hintsSent !== epoch) {
      const hints = [...this.decoder.hints()].map(([t, cols]): [string, string[]] => [t, [...cols]]);
      w.postMessage({ t: 'hints', epoch, hints } satisfies WorkerRequest);
      this.hintsSent = epoch;
    }
    let size = 0;
    for (const m of messages) size += (m.key?.length ?? 0) + (m.value?.length ?? 0);
    const buf = new ArrayBuffer(size);
    const all = new Uint8Array(buf);
    const spans = new Int32Array(messages.length * 4);
    let at = 0;
    messages.forEach((m, i) => {
      for (const [j, b] of [[0, m.key], [2, m.value]] as const) {
        if (!b) { spans[i * 4 + j] = -1; continue; }
        all.set(b, at);
        spans[i * 4 + j] = at;
        spans[i * 4 + j + 1] = b.length;
        at += b.length;
      }
    });
    const id = this.nextId++;
    this.inFlight.set(id, messages);
    w.postMessage({ t: 'decode', id, epoch, buf, spans } satisfies WorkerRequest, [buf, spans.buffer]);
  }

  private answered(a: WorkerAnswer): void {
    const messages = this.inFlight.get(a.id);
    if (!messages) return;
    this.inFlight.delete(a.id);
    if (a.epoch !== this.decoder.epoch) return;
    for (const [hash, def] of Object.entries(a.defs)) if (!this.defs.has(hash)) this.defs.set(hash, def);
    a.events.forEach((e, i) => {
      const def = e ? this.defs.get(e.defHash) : undefined;
      if (!e || !def) return;
      asBuffers(e.key);
      asBuffers(e.after);
      this.done.set(messages[i]!, { epoch: a.epoch, d: { ...e, def } });
    });
  }
}
