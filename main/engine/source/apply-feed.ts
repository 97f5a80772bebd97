/**
 * Fetch ahead of apply: the `<ctx>-cdc` consumer hands each fetched batch to this feed and returns, so
 * kafkajs fetches the next batch while the engine applies the previous one (it only fetches again once
 * its batch handler returned). One drainer applies the queued batches strictly in order, one chunk of
 * `databaseBatchSize` at a time, through the engine's control loop; a write that fails is retried there
 * with the chunk held in memory (writer.ts), never fetched again.
 *
 * Bounded by bytes: a batch waits (heartbeating) while the queued and in-flight bytes exceed the limit,
 * which stops kafkajs from fetching more. The bytes are counted after compaction (decode/compact.ts: the
 * schema part of each record is shared), and queued batches of one partition that follow each other are
 * applied as one chunk, so a transaction is not bounded by what one fetch brings. Nothing read ahead outlives the reading it came from: a
 * rebalance or seek (`reset`) drops the queue, and a chunk that ends processing (lease lost, replica
 * went back, stopping) or fails closes the feed for good — the engine then stops or reads again from what the
 * replica stores with a new consumer and a new feed. Offsets are still only the replica's.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from '../log.ts';

export interface FeedHooks {
  /** The next offset the replica needs on a partition (undefined: nothing applied yet). */
  expected(partition: number): bigint | undefined;
  /** A batch starts after the expected offset: purged (gap) or compacted; the engine decides. */
  onJump(partition: number, expected: bigint, first: bigint): Promise<void>;
  /** Applies a chunk; resolves once its offsets are committed in the replica. */
  onChunk(partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>): Promise<'applied' | 'stop'>;
  /** Applying failed with an error that is not the chunk's own (the engine reads again from the replica). */
  onFailed(err: unknown): void;
  /** The queue ran empty after a batch. */
  onBatchDone(): void;
  /**
   * These messages are applied next: decode them while the chunk before them is written (decode-ahead.ts).
   * `more`: they follow those given since the chunk in flight started (else they replace them).
   */
  ahead?(messages: KafkaMessage[], more: boolean): void;
  /** Makes a fetched batch smaller before it is queued (decode/compact.ts): the bound is on what is held. */
  compact?(messages: KafkaMessage[]): void;
  stopping(): boolean;
  paused(): boolean;
}

interface Entry { partition: number; messages: KafkaMessage[]; bytes: number; heartbeat: () => Promise<void> }

const sizeOf = (messages: KafkaMessage[]): number => {
  let n = 0;
  for (const m of messages) n += (m.value?.length ?? 0) + (m.key?.length ?? 0) + 64;
  return n;
};

export class ApplyFeed {
  private queue: Entry[] = [];
  private queuedBytes = 0;
  private inFlightBytes = 0;
  private generation = 0;
  private closed = false;
  /** The running drain, for close() to await. */
  private drainer: Promise<void> | null = null;
  /**
   * Whether a drain runs, set and cleared synchronously. Deciding on `drainer` instead lost a batch: a
   * push between the drain's last look at the queue and its promise's settlement found `drainer` still
   * set, started none, and the batch sat unapplied until another push came (never, when the feed was too
   * full for the next batch: the engine stalled with maxBytes 1 MiB).
   */
  private draining = false;
  private wake: (() => void)[] = [];
  /** The last push made: the next one waits for it (push). */
  private pushTail: Promise<unknown> = Promise.resolve();
  /** The chunk in flight is its batch's last: the queue's head comes next (prepareQueued). */
  private aheadFromQueue = false;
  /** How many messages of the next chunk were given to `ahead` since the chunk in flight started. */
  private aheadGiven = 0;

  private readonly hooks: FeedHooks;
  private readonly limitBytes: number;
  private readonly chunkSize: number;
  private readonly log: Logger;

  constructor(hooks: FeedHooks, limitBytes: number, chunkSize: number, log: Logger) {
    this.hooks = hooks;
    this.limitBytes = limitBytes;
    this.chunkSize = chunkSize;
    this.log = log;
  }

  /**
   * Queues a fetched batch; waits while the feed is full. `live`: the batch's reading is still current.
   * Pushes are queued in the order they were made, however many wait at once (the fetch thread sends
   * batches on without waiting for each): two waiting for room could otherwise go in swapped, and the
   * later batch, seen first, would look like a jump past the earlier one.
   */
  push(partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>, live: () => boolean): Promise<boolean> {
    const gen = this.generation; // of the moment the batch was pushed: a reset while it waits for its turn drops it
    const p = this.pushTail.then(() => this.pushInOrder(partition, messages, heartbeat, live, gen));
    this.pushTail = p.catch(() => undefined);
    return p;
  }

  private async pushInOrder(partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>, live: () => boolean, gen: number): Promise<boolean> {
    this.hooks.compact?.(messages);
    const bytes = sizeOf(messages);
    const current = (): boolean => !this.closed && gen === this.generation && live() && !this.hooks.stopping();
    while (current() && this.queuedBytes + this.inFlightBytes > 0 && this.queuedBytes + this.inFlightBytes + bytes > this.limitBytes) {
      await this.waitForSpace(1000);
      await heartbeat().catch(() => undefined);
    }
    if (!current()) return false;
    this.queue.push({ partition, messages, bytes, heartbeat });
    this.queuedBytes += bytes;
    if (this.aheadFromQueue) this.prepareQueued();
    if (!this.draining) {
      this.draining = true;
      this.drainer = this.drain();
    }
    return true;
  }

  /** Drops what was read ahead (a rebalance or seek: kafkajs reads again from the positions given). */
  reset(): void {
    this.generation++;
    this.queue = [];
    this.aheadGiven = 0;
    this.queuedBytes = 0;
    this.signal();
  }

  /** For good: nothing more is applied from this feed; resolves when the chunk in flight (if any) is done. */
  async close(): Promise<void> {
    this.closed = true;
    this.reset();
    await this.drainer;
  }

  /** Queued and in-flight bytes (diagnostics). */
  held(): number { return this.queuedBytes + this.inFlightBytes; }

  private signal(): void {
    const w = this.wake;
    this.wake = [];
    for (const f of w) f();
  }

  private waitForSpace(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake.push(() => { clearTimeout(t); resolve(); });
    });
  }

  private async drain(): Promise<void> {
    // `draining` is cleared in the same turn as the last look at the queue (no `await` between the two,
    // which would reopen the gap): a push after it starts a new drain.
    try {
      while (!this.closed && this.queue.length) {
        const entry = this.takeNext();
        this.queuedBytes -= entry.bytes;
        this.inFlightBytes = entry.bytes;
        const gen = this.generation;
        try {
          if (await this.apply(entry, gen) === 'stop') { this.closed = true; this.reset(); }
        } catch (err) {
          // Closed for good, as after 'stop': the engine reads again with a new reader. Left open, a batch
          // pushed after the failure (fetched on past the failed one) would be applied, past a hole.
          const wasOpen = !this.closed;
          this.closed = true;
          this.reset();
          if (wasOpen && !this.hooks.stopping()) this.hooks.onFailed(err);
          else this.log.debug('a read-ahead batch was not applied: the feed closed', { error: (err as Error).message });
        } finally {
          this.inFlightBytes = 0;
          this.signal();
        }
        if (!this.queue.length && !this.closed) this.hooks.onBatchDone();
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * The next queued batch, with the batches of its partition queued after it that continue it offset for
   * offset, up to a chunk: one transaction for what several fetches brought. A batch that does not start
   * right after the one before (a gap: purged, compacted) is left for its own turn, where the jump is
   * seen. Other partitions' batches keep their order; per partition the order is the fetch order.
   */
  private takeNext(): Entry {
    const at = this.nextParts();
    const parts = at.map((i) => this.queue[i]!);
    for (let k = at.length - 1; k >= 0; k--) this.queue.splice(at[k]!, 1);
    if (parts.length === 1) return parts[0]!;
    return { partition: parts[0]!.partition, messages: parts.flatMap((p) => p.messages), bytes: parts.reduce((b, p) => b + p.bytes, 0), heartbeat: parts[parts.length - 1]!.heartbeat };
  }

  /** Queue indexes (ascending) of the batches takeNext takes as the queue stands; the first is 0. */
  private nextParts(): number[] {
    const e = this.queue[0]!;
    let n = e.messages.length;
    let last = BigInt(e.messages[n - 1]!.offset);
    const at = [0];
    for (let i = 1; i < this.queue.length && n < this.chunkSize; i++) {
      const q = this.queue[i]!;
      if (q.partition !== e.partition) continue;
      if (BigInt(q.messages[0]!.offset) !== last + 1n || n + q.messages.length > this.chunkSize) break;
      at.push(i);
      n += q.messages.length;
      last = BigInt(q.messages[q.messages.length - 1]!.offset);
    }
    return at;
  }

  /**
   * Decoding ahead (decode-ahead.ts) gets the chunk the queue's head will make, as takeNext will form it:
   * when the last chunk of a batch goes to the replica, and what a batch adds to it whenever one arrives
   * while that chunk is written (the head stays while it is written, so the chunk only grows). Given only
   * the head batch, and only when the chunk started, 6–19 % of the messages were decoded ahead (memory
   * probe: a fetch brings ~100 per partition, and the next one mostly arrives during the write).
   */
  private prepareQueued(): void {
    if (!this.hooks.ahead || !this.queue.length) return;
    const out: KafkaMessage[] = [];
    let seen = 0;
    for (const i of this.nextParts()) {
      const ms = this.queue[i]!.messages;
      for (let k = Math.max(0, this.aheadGiven - seen); k < ms.length && seen + k < this.chunkSize; k++) out.push(ms[k]!);
      seen += ms.length;
    }
    if (!out.length) return;
    this.hooks.ahead(out, this.aheadGiven > 0);
    this.aheadGiven += out.length;
  }

  private async apply(e: Entry, gen: number): Promise<'applied' | 'stop' | 'dropped'> {
    const h = this.hooks;
    const valid = (): boolean => !this.closed && gen === this.generation && !h.stopping();
    if (!valid()) return 'dropped';
    const expected = h.expected(e.partition);
    const first = BigInt(e.messages[0]!.offset);
    if (expected !== undefined && first > expected) await h.onJump(e.partition, expected, first);
    const msgs = expected === undefined ? e.messages : e.messages.filter((m) => BigInt(m.offset) >= expected);
    for (let i = 0; i < msgs.length; i += this.chunkSize) {
      while (valid() && h.paused()) await new Promise((r) => setTimeout(r, 200));
      if (!valid()) return 'dropped';
      const lastChunk = i + this.chunkSize >= msgs.length;
      this.aheadGiven = 0;
      if (!lastChunk) h.ahead?.(msgs.slice(i + this.chunkSize, i + 2 * this.chunkSize), false);
      else this.prepareQueued();
      this.aheadFromQueue = lastChunk;
      try {
        if (await h.onChunk(e.partition, msgs.slice(i, i + this.chunkSize), e.heartbeat) === 'stop') return 'stop';
      } finally {
        this.aheadFromQueue = false;
      }
    }
    return 'applied';
  }
}
