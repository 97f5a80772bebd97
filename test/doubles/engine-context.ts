/**
 * Folder test/doubles/: stand-ins for a test without a broker (engine context, engine child).
 *
 * An EngineContext over a real in-memory SQLite replica, a scripted Kafka admin (watermarks) and a
 * recording producer: the apply loop and the snapshot rules run for real, without a broker. Messages are
 * made from envelopes recorded from the real MariaDB connector (test/fixtures/mariadb), with the key,
 * the snapshot marker and the attempt's source position changed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Admin, KafkaMessage, Producer } from 'kafkajs';
import { ControlLoop } from '../../main/engine/control-loop.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { EngineEmitter } from '../../main/engine/events.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { SqliteReplica } from '../../main/engine/replica/sqlite/replica.ts';
import { createTableFilter } from '../../main/engine/schema/table-filter.ts';
import { tenantTopics } from '../../main/engine/source/topics.ts';
import { TableRegistry } from '../../main/engine/tables.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';

const fixtures = join(import.meta.dirname, '../fixtures/mariadb');
const load = (name: string) => JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as { key: string; value: string };

/** Recorded envelopes per table: [fixture, key column]. */
const TABLES = { sale: ['r-blocking-first', 'sale_id'], contact: ['r-table-contact', 'contact_id'] } as const;
export type FixtureTable = keyof typeof TABLES;

export interface Step { table: FixtureTable; id: number; op?: 'r' | 'c' | 'u' | 'd' | 't'; snapshot?: string | null; attempt?: number; ts?: number }

export class Topic {
  offset = 0n;
  readonly sent: Array<{ topic: string; value: string }> = [];
  /** Sends still to fail after the broker took them (the answer lost: a timeout, or a kill before the next step). */
  failAfterWrite = 0;

  message(s: Step): KafkaMessage {
    const [fixture, keyCol] = TABLES[s.table];
    const f = load(fixture);
    const key = JSON.parse(f.key) as { payload: Record<string, number> };
    const value = JSON.parse(f.value) as { payload: Record<string, unknown> & { after: Record<string, unknown>; source: Record<string, unknown> } };
    key.payload[keyCol] = s.id;
    const p = value.payload;
    const op = s.op ?? 'r';
    p.op = op;
    p.after[keyCol] = s.id;
    if (op === 'd') { p.before = p.after; p.after = null as never; }
    if (op === 't') { p.before = null; p.after = null as never; }
    p.source.snapshot = op === 'r' ? (s.snapshot ?? 'true') : null;
    p.source.pos = 1000 + (s.attempt ?? 0) * 100; // the attempt's identity
    Object.assign(p.source, { gtid: null, server_id: 1, file: 'binlog.000001', sequence: null });
    const off = this.offset++;
    return { key: op === 't' ? null : Buffer.from(JSON.stringify(key)), value: Buffer.from(JSON.stringify(value)), offset: off.toString(), timestamp: String(s.ts ?? 1_000_000 + Number(off)), attributes: 0, headers: {} } as KafkaMessage;
  }
}

export async function makeContext(topic: Topic): Promise<EngineContext> {
  const settings = settingsSchema.parse({ tenant: { ctx: 'unit', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: ':memory:' }, snapshotFenceDelayMs: 0, retryInitialMs: 1, retryMaxMs: 2 });
  const replica = new SqliteReplica({ file: ':memory:', tablePrefix: '' });
  await replica.connect();
  await replica.ensureStateTable();
  const events = new EngineEmitter();
  events.on('error', () => undefined); // the engine's status listens; tests read the registry
  const topics = tenantTopics('unit');
  const admin = {
    fetchTopicOffsets: async (t: string) => [{ partition: 0, low: '0', high: t === topics.cdc ? topic.offset.toString() : '0', offset: '0' }],
  } as unknown as Admin;
  const producer = { send: async (r: { topic: string; messages: Array<{ value: string }> }) => { for (const m of r.messages) topic.sent.push({ topic: r.topic, value: m.value }); if (topic.failAfterWrite > 0) { topic.failAfterWrite--; throw new Error('request timed out (the broker took it)'); } return []; } } as unknown as Producer;
  const ctx: EngineContext = {
    settings, log: silentLogger, events, replica, kafka: null as never, admin, producer, topics, topicPrefix: 'unit', session: null,
    registry: new TableRegistry(), decoder: new EnvelopeDecoder(), filter: createTableFilter(settings.tables),
    nextOffsets: new Map(), watermarks: new Map(), gaps: [], fullSnapshot: null, completed: { key: null, ts: null },
    notifNext: new Map(), initialScan: null, loop: new ControlLoop(), lease: null, historyNext: null, schemaLog: new Map(), schemaLogHigh: 0n,
    schemaLogCheckedAt: Date.now() + 3_600_000, state: 'streaming', stopping: false, paused: false,
    setState(state) { this.state = state; },
    async persist(rows, remove) { await replica.writeState(rows, remove); },
  };
  return ctx;
}
