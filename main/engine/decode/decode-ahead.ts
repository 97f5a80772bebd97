/**
 * Decoding ahead of apply: while a chunk's transaction is on its way to the replica (an await on the
 * network for PostgreSQL and SQL Server), the next chunk's messages are decoded in small slices between
 * I/O callbacks, so decode overlaps with the write on one thread. Only what cannot have changed is kept:
 * a result is used if the decoder's epoch (the schema hints it decodes with) is the same when the message
 * is applied, and a message that failed to decode, or whose table was not mirrored then, is simply
 * decoded again when applied (an error becomes poison there, with the filter of that moment).
 */
import type { KafkaMessage } from 'kafkajs';
import type { Decoded, EnvelopeDecoder } from './envelope.ts';

const SLICE = 256;

export class DecodeAhead {
  private readonly done = new WeakMap<KafkaMessage, { epoch: number; d: Decoded }>();
  private readonly decoder: EnvelopeDecoder;
  private readonly accept: (schema: string, name: string) => boolean;
  private pending: KafkaMessage[] = [];
  private scheduled = false;

  constructor(decoder: EnvelopeDecoder, accept: (schema: string, name: string) => boolean) {
    this.decoder = decoder;
    this.accept = accept;
  }

  /** Decodes these messages a slice at a time when the event loop is otherwise idle (replaces what was pending). */
  prepare(messages: KafkaMessage[]): void {
    this.pending = messages.slice();
    if (this.scheduled || !this.pending.length) return;
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

  /** Nothing pending any more (a reading dropped, the engine stopping). */
  clear(): void { this.pending = []; }

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
}
