/**
 * Lag under a steady load: an observer reads `<ctx>-cdc` from given offsets and keeps, per record, the
 * source commit time (`payload.source.ts_ms`; MariaDB's binlog gives it in whole seconds) and Debezium's
 * read time (`payload.ts_ms`, ms) and the Kafka record timestamp. A consumer's commits (Progress) then give each record's lag:
 * replica commit time − source time.
 */
import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import type { Progress } from './progress.ts';

export interface Stamp { src: number; dbz: number; kafka: number }
/** The last event seen for one row key: where it is and when Debezium read it. */
interface KeyEvent { p: number; o: number; dbz: number; del: boolean }

export interface LagFigures {
  records: number; p50: number; p99: number; max: number; p50Dbz: number; p99Dbz: number; maxDbz: number;
  /** From the Kafka record timestamp (producer time ≈ append): the consumer's own share. */
  p50Kafka: number; p99Kafka: number; maxKafka: number;
  /** PostgreSQL replicas only: rowLag() (row commit time − Debezium read time), identical for the engine and the sink. */
  row?: { records: number; p50: number; p99: number; max: number };
}

const PAYLOAD_MARK = Buffer.from(',"payload":');

/**
 * The `payload` of a JSON record with schemas, parsing only its text: the schema part is ~90 % of a CRM
 * record, and the observer runs beside the engine on the same 2 cores (a full parse of every record cost
 * it a share of a core at the lag runs' rates). Debezium writes `{"schema":…,"payload":…}`, and no schema
 * holds the mark; anything else is parsed whole.
 */
function payloadOf(buf: Buffer): unknown {
  const i = buf.indexOf(PAYLOAD_MARK);
  if (i > 0 && buf[buf.length - 1] === 0x7d) return JSON.parse(buf.toString('utf8', i + PAYLOAD_MARK.length, buf.length - 1));
  return (JSON.parse(buf.toString('utf8')) as { payload?: unknown }).payload;
}

export class TimestampObserver {
  readonly stamps = new Map<number, Map<number, Stamp>>();
  /** `table|pk values` → its last event (rowLag). */
  readonly lastByKey = new Map<string, KeyEvent>();
  private readonly kafka: Kafka;
  private readonly topic: string;
  private consumer: ReturnType<Kafka['consumer']> | null = null;

  constructor(kafka: Kafka, topic: string) {
    this.kafka = kafka;
    this.topic = topic;
  }

  async start(from: Map<number, bigint>): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `bench-observer-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 50, minBytes: 1 });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topic: this.topic, fromBeginning: false });
    let joined!: () => void;
    const joinedP = new Promise<void>((r) => { joined = r; });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const [p, o] of from) consumer.seek({ topic: this.topic, partition: p, offset: o.toString() });
      joined();
    });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (!message.value) return;
        try {
          const v = { payload: payloadOf(message.value) as { ts_ms?: number; op?: string; source?: { ts_ms?: number; table?: string } } | undefined };
          const src = Number(v.payload?.source?.ts_ms ?? 0);
          const dbz = Number(v.payload?.ts_ms ?? 0);
          if (!src || !dbz) return;
          const table = v.payload?.source?.table;
          if (table && message.key) {
            const k = { payload: payloadOf(message.key) as Record<string, unknown> | undefined };
            if (k.payload) this.lastByKey.set(`${table}|${Object.values(k.payload).map(String).join('|')}`, { p: partition, o: Number(message.offset), dbz, del: v.payload?.op === 'd' });
          }
          let m = this.stamps.get(partition);
          if (!m) { m = new Map(); this.stamps.set(partition, m); }
          m.set(Number(message.offset), { src, dbz, kafka: Number(message.timestamp) });
        } catch { /* not an envelope */ }
      },
    });
    await joinedP;
  }

  /** Number of stamped records in [from, to) per partition. */
  count(from: Map<number, bigint>, to: Map<number, bigint>): number {
    let n = 0;
    for (const [p, m] of this.stamps) for (const o of m.keys()) if (o >= Number(from.get(p) ?? 0n) && o < Number(to.get(p) ?? 0n)) n++;
    return n;
  }

  async stop(): Promise<void> { await this.consumer?.disconnect().catch(() => undefined); }

  /**
   * Lag read from PostgreSQL itself, the same way for every consumer writing into it: for each row
   * whose last event lies in [from, to) and is not a delete, the commit time of the row's current
   * version (pg_xact_commit_timestamp(xmin)) − Debezium's read time of that event. A row changed
   * several times in the window counts once (its last change); deletes leave no row and are not counted.
   */
  async rowLag(config: pg.ClientConfig, schema: string, pks: ReadonlyMap<string, readonly string[]>, from: Map<number, bigint>, to: Map<number, bigint>): Promise<{ records: number; p50: number; p99: number; max: number }> {
    const inWindow = (e: KeyEvent): boolean => e.o >= Number(from.get(e.p) ?? 0n) && e.o < Number(to.get(e.p) ?? 0n);
    const want = new Map<string, number>();
    for (const [k, e] of this.lastByKey) if (!e.del && inWindow(e)) want.set(k, e.dbz);
    const c = new pg.Client(config);
    await c.connect();
    const lags: number[] = [];
    try {
      for (const [table, pk] of pks) {
        const qi = (x: string): string => `"${x.replace(/"/g, '""')}"`;
        const r = await c.query<{ k: string; ms: string | null }>({
          text: `SELECT concat_ws('|', ${pk.map((x) => `${qi(x)}::text`).join(', ')}) AS k, (extract(epoch from pg_xact_commit_timestamp(xmin)) * 1000)::float8::text AS ms FROM ${qi(schema)}.${qi(table)}`,
        });
        for (const row of r.rows) {
          const dbz = want.get(`${table}|${row.k}`);
          if (dbz !== undefined && row.ms !== null) lags.push(Number(row.ms) - dbz);
        }
      }
    } finally {
      await c.end();
    }
    const f = pct(lags, '');
    return { records: lags.length, p50: f['p50']!, p99: f['p99']!, max: f['max']! };
  }

  /** Every stamped record in [from, to) that `progress` committed, with the time of the commit that took it. */
  eachCommitted(progress: Progress, from: Map<number, bigint>, to: Map<number, bigint>, fn: (s: Stamp, at: number) => void): void {
    const pos = new Map(from);
    for (const c of progress.commits) {
      const start = pos.get(c.p);
      const end = to.get(c.p);
      if (start === undefined || end === undefined || c.next <= start) continue;
      const stop = c.next < end ? c.next : end;
      const m = this.stamps.get(c.p);
      for (let o = Number(start); o < Number(stop); o++) {
        const s = m?.get(o);
        if (s) fn(s, c.at);
      }
      pos.set(c.p, stop);
    }
  }

  /** Lag of every stamped record in [from, to) that `progress` committed. */
  lag(progress: Progress, from: Map<number, bigint>, to: Map<number, bigint>): LagFigures {
    const src: number[] = [];
    const dbz: number[] = [];
    const kafka: number[] = [];
    this.eachCommitted(progress, from, to, (s, at) => { src.push(at - s.src); dbz.push(at - s.dbz); kafka.push(at - s.kafka); });
    return { records: src.length, ...pct(src, ''), ...pct(dbz, 'Dbz'), ...pct(kafka, 'Kafka') } as LagFigures;
  }
}

function pct(xs: number[], suffix: string): Record<string, number> {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN);
  return { [`p50${suffix}`]: at(0.5), [`p99${suffix}`]: at(0.99), [`max${suffix}`]: s.length ? s[s.length - 1]! : NaN };
}
