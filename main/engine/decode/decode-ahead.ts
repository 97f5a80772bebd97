/**
 * Decoding ahead of apply: while a chunk's transaction is on its way to the replica (an await on the
 * network for PostgreSQL and SQL Server), the next chunk's messages are decoded in short turns between
 * I/O callbacks, so decode overlaps with the write on one thread. Only what cannot have changed is kept:
 * a result is used if the decoder's epoch (the schema hints it decodes with) is the same when the message
 * is applied, and a message that failed to decode, or whose table was not mirrored then, is simply
 * decoded again when applied (an error becomes poison there, with the filter of that moment).
 */
import type { KafkaMessage } from 'kafkajs';
import type { Decoded, EnvelopeDecoder } from './envelope.ts';

/**
 * How long one turn of the event loop decodes, in ms. A reply of the replica that arrives meanwhile waits
 * for the turn to end, and a transaction is dozens of round trips and a COPY streamed in pieces: while the
 * engine decodes, the server may be waiting for it. Memory probe, engine → PostgreSQL, mixed phase, two
 * rounds: next chunks handed over whole, turns of 64 messages (~0.6 ms) 13,761 / 13,837 ev/s against
 * 15,307 / 15,521 as before (little decoded ahead); turns of 0.25 ms 15,407 / 13,203, of 0.1 ms 17,468 /
 * 14,978, of 0.05 ms 17,403 / 16,543 against 16,246 / 13,919 as before (docs/benchmarks.md, "Decode ahead, whole").
 */
const TURN_MS = 0.05;

export class DecodeAhead {
  private readonly done = new WeakMap<KafkaMessage, { epoch: number; d: Decoded }>();
  private readonly decoder: EnvelopeDecoder;
  private readonly accept: (schema: string, name: string) => boolean;
  private pending: KafkaMessage[] = [];
  /** The next pending message to decode. */
  private at = 0;
  private scheduled = false;

  constructor(decoder: EnvelopeDecoder, accept: (schema: string, name: string) => boolean) {
    this.decoder = decoder;
    this.accept = accept;
  }

  /**
   * Decodes these messages in turns of TURN_MS when the event loop is otherwise idle. `more`: they follow
   * what was given before (appended); else they replace what was pending.
   */
  prepare(messages: KafkaMessage[], more = false): void {
    if (more) for (const m of messages) this.pending.push(m);
    else { this.pending = messages.slice(); this.at = 0; }
    if (this.scheduled || this.at >= this.pending.length) return;
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
  clear(): void { this.pending = []; this.at = 0; }

  private slice(): void {
    this.scheduled = false;
    const epoch = this.decoder.epoch;
    const until = performance.now() + TURN_MS;
    while (this.at < this.pending.length) {
      const m = this.pending[this.at++]!;
      if (!this.done.has(m)) {
        try {
          const d = this.decoder.decodeBuffers(m.key ?? null, m.value ?? null, this.accept);
          if (d.kind !== 'skipped') this.done.set(m, { epoch, d });
        } catch {
          // decoded again when applied: the error is handled there (poison), with the filter of that moment
        }
      }
      if (performance.now() >= until) break;
    }
    if (this.at < this.pending.length) { this.scheduled = true; setImmediate(() => this.slice()); }
    else { this.pending = []; this.at = 0; }
  }
}
