/**
 * Reading raw Kafka messages in tests: a collector (kafkajs consumer with a random group) that keeps
 * every message as raw text (key/value never parsed, so int64 precision survives), plus a lossless
 * JSON parser (integers beyond 2^53 become bigint).
 */
import { Kafka } from 'kafkajs';
import { isInteger, isSafeNumber, parse } from 'lossless-json';
import { randomHex, waitFor } from './util.ts';
import { topicOffsets } from './kafka.ts';

export interface RawMessage {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  /** Key bytes as UTF-8 text, or null. */
  key: string | null;
  /** Value bytes as UTF-8 text, or null (tombstone). */
  value: string | null;
  headers: Record<string, string>;
}

/** JSON.parse that keeps integers beyond Number.MAX_SAFE_INTEGER exact (as bigint). */
export function parseJson(text: string): unknown {
  return parse(text, null, (v: string) => (isSafeNumber(v) ? Number(v) : isInteger(v) ? BigInt(v) : Number(v)));
}

export interface CollectorOptions {
  fromBeginning?: boolean;
  groupId?: string;
}

/**
 * Keeps every message of `topics` once. Its consumer reads from the beginning without committing, so a
 * rebalance (a session that timed out on a loaded machine) or a crash reads from the start again: a message
 * already kept (same topic, partition, offset and timestamp — a re-created topic's offsets repeat, its
 * timestamps do not) is not kept twice. A consumer that crashed for good is replaced by a new one (new group),
 * and every wait that times out says what the collector saw.
 */
export class TopicCollector {
  readonly messages: RawMessage[] = [];
  readonly topics: string[];
  private readonly kafka: Kafka;
  private readonly opts: CollectorOptions;
  private consumer: ReturnType<Kafka['consumer']> | null = null;
  private readonly seen = new Set<string>();
  private readonly incidents: string[] = [];
  private stopped = false;

  constructor(kafka: Kafka, topics: string[], opts: CollectorOptions = {}) {
    this.kafka = kafka;
    this.topics = topics;
    this.opts = opts;
  }

  push(m: RawMessage): void {
    const id = `${m.topic}:${m.partition}:${m.offset}:${m.timestamp}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    this.messages.push(m);
  }

  /** Starts (or, after a crash, replaces) the consumer; resolves once it has joined its group. */
  async start(): Promise<void> {
    const groupId = this.consumer ? `harness-reader-${randomHex(6)}` : this.opts.groupId ?? `harness-reader-${randomHex(6)}`;
    const consumer = this.kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 100 });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, (e) => {
      this.incidents.push(`${new Date().toISOString()} consumer crashed (restart: ${e.payload.restart}): ${e.payload.error?.message ?? e.payload.error}`);
      if (!e.payload.restart && !this.stopped && consumer === this.consumer) {
        void consumer.disconnect().catch(() => {}).then(() => this.stopped ? undefined : this.start())
          .catch((err: unknown) => this.incidents.push(`replacement failed: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
    consumer.on(consumer.events.GROUP_JOIN, () => { if (this.messages.length) this.incidents.push(`${new Date().toISOString()} re-joined its group`); });
    await consumer.connect();
    for (const topic of this.topics) await consumer.subscribe({ topic, fromBeginning: this.opts.fromBeginning ?? true });
    const joined = new Promise<void>((res) => {
      const off = consumer.on(consumer.events.GROUP_JOIN, () => { off(); res(); });
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? v.map((x) => x.toString('utf8')).join(',') : v.toString('utf8');
        }
        this.push({
          topic, partition, offset: message.offset, timestamp: message.timestamp,
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value ? message.value.toString('utf8') : null,
          headers,
        });
      },
    });
    await joined;
  }

  /** What the collector saw, for a timed-out wait's message. */
  private diagnose(e: unknown): Error {
    const last = this.messages.at(-1);
    const tail = this.incidents.slice(-5).join('; ') || 'no crash or re-join';
    return new Error(`${e instanceof Error ? e.message : String(e)} (collector: ${this.messages.length} kept, last ${last ? `${last.topic}:${last.partition}:${last.offset}` : 'none'}; ${tail})`);
  }

  private async watch<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw this.diagnose(e);
    }
  }

  /** Waits until `pred` holds for some message at index ≥ `from`; returns that message. */
  async waitFor(pred: (m: RawMessage) => boolean, opts: { timeoutMs?: number; from?: number; what?: string } = {}): Promise<RawMessage> {
    const from = opts.from ?? 0;
    return this.watch(() => waitFor(() => this.messages.slice(from).find(pred), { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 50, what: opts.what ?? `message on ${this.topics.join(',')}` }));
  }

  /** Waits until at least `n` messages (from index `from`) satisfy `pred`; returns them. */
  async waitForCount(n: number, pred: (m: RawMessage) => boolean = () => true, opts: { timeoutMs?: number; from?: number } = {}): Promise<RawMessage[]> {
    const from = opts.from ?? 0;
    return this.watch(() => waitFor(() => {
      const hits = this.messages.slice(from).filter(pred);
      return hits.length >= n ? hits : false;
    }, { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 50, what: `${n} messages on ${this.topics.join(',')}` }));
  }

  /** Waits until everything currently in the topics (up to each partition's high watermark now) has been received. */
  async drain(kafka: Kafka, timeoutMs = 60_000): Promise<RawMessage[]> {
    const targets: Array<{ topic: string; partition: number; last: bigint }> = [];
    for (const topic of this.topics) {
      for (const p of await topicOffsets(kafka, topic)) if (p.high > p.low) targets.push({ topic, partition: p.partition, last: p.high - 1n });
    }
    await this.watch(() => waitFor(() => targets.every((t) => this.messages.some((m) => m.topic === t.topic && m.partition === t.partition && BigInt(m.offset) >= t.last)),
      { timeoutMs, intervalMs: 50, what: `drain of ${this.topics.join(',')}` }));
    return this.messages;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.consumer?.disconnect().catch(() => {});
  }
}

/** Starts consuming `topics` (all partitions) and resolves once the consumer has joined its group. */
export async function collectTopic(kafka: Kafka, topics: string | string[], opts: CollectorOptions = {}): Promise<TopicCollector> {
  const c = new TopicCollector(kafka, Array.isArray(topics) ? topics : [topics], opts);
  await c.start();
  return c;
}

/** Reads everything currently in `topic` (from the low watermark to the current high watermark). */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 60_000): Promise<RawMessage[]> {
  const c = await collectTopic(kafka, topic);
  try {
    return [...(await c.drain(kafka, timeoutMs))];
  } finally {
    await c.stop();
  }
}

// ---------- envelope helpers for tests ----------

export interface Envelope {
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
  op: string;
  ts_ms?: number;
}

/** Parsed value payload of a change event, or null for a tombstone. */
export function envelopeOf(m: RawMessage): Envelope | null {
  if (m.value === null) return null;
  const v = parseJson(m.value) as { payload: Envelope };
  return v.payload;
}

export function keyOf(m: RawMessage): Record<string, unknown> | null {
  if (m.key === null) return null;
  return (parseJson(m.key) as { payload: Record<string, unknown> }).payload;
}

/** source.table of a change event (tombstones: from the key schema name `<prefix>.<db>.<table>.Key`). */
export function tableOf(m: RawMessage): string | null {
  const env = envelopeOf(m);
  if (env) return String(env.source.table);
  if (m.key === null) return null;
  const name = String((parseJson(m.key) as { schema: { name?: string } }).schema.name ?? '');
  return name.split('.').slice(-2, -1)[0] ?? null;
}

/** Connect Decimal payload (base64 big-endian two's complement unscaled value) → exact string. */
export function decodeDecimal(base64: string, scale: number): string {
  const b = Buffer.from(base64, 'base64');
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  if (b.length && (b[0]! & 0x80)) v -= 1n << BigInt(b.length * 8);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const s = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${s}` : s;
}
