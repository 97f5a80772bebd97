/**
 * The SQL Server change events Debezium's own converters produce (test/fixtures/sqlserver, 19 connector
 * setting combinations) land exactly in a real SQLite file and a real PostgreSQL database (a private
 * instance this file starts; no Kafka), the latter through both its write paths (multi-row INSERT and COPY). Each fixture's events (r, c, c, c, u, d) go one by one through the
 * engine's own apply loop (processMessages: decode, table created from the first event, reduce, one
 * transaction with the rows and the partition's offset row) over the product's replica. After every
 * event the table is read back with plain SQL, every cell cast to text by the database itself (never the
 * product's reader or table definitions), and compared with the text SQL Server holds (`source` in the
 * fixture, derived from the inserted literals): datetime2 to 100 ns, datetimeoffset with its own offset,
 * money to 4 places, decimal(38,x) digit for digit, rowversion bytes, unicode, NULL apart from ''.
 *
 * What a connector setting cannot carry is expected as the setting documents it, computed from the source
 * text here, not taken from the event: `time.precision.mode=connect` keeps milliseconds (cut),
 * `decimal.handling.mode=double` the nearest float64, `binary.handling.mode=base64|hex` the bytes' text
 * as sent, no `column.propagate.source.type` the UTC instant of a datetimeoffset at 6 digits. Cells the
 * fixture lists as corrupted by Debezium or the driver (`connectorCorrupts`) must differ from the source.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { KafkaMessage } from 'kafkajs';
import pg from 'pg';
import { processMessages } from '../../main/engine/apply/processor.ts';
import type { EngineContext } from '../../main/engine/context.ts';
import { ControlLoop } from '../../main/engine/control-loop.ts';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { EngineEmitter } from '../../main/engine/events.ts';
import { silentLogger } from '../../main/engine/log.ts';
import type { Replica } from '../../main/engine/replica/replica.ts';
import { createPostgresReplica } from '../../main/engine/replica/postgres/index.ts';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import { createTableFilter } from '../../main/engine/schema/table-filter.ts';
import { tenantTopics } from '../../main/engine/source/topics.ts';
import { TableRegistry } from '../../main/engine/tables.ts';
import { settingsSchema } from '../../preload/contract/settings.ts';
import { startPostgres, type PostgresServer } from '../harness/postgres.ts';
import { loadSqlServerFixtures, sqlServerColumns, type ColumnDoc, type SqlServerFixture } from '../harness/sqlserver-fixtures.ts';

const fixtures = loadSqlServerFixtures();
const columns = sqlServerColumns();

type Db = 'sqlite' | 'postgres';
/** PostgreSQL's two write paths: multi-row INSERT … ON CONFLICT (small batches) and COPY into a stage. */
type Target = Db | 'postgres-copy';
type Cells = Record<string, string | null>;

// ---------------------------------------------------------------------------------------------------
// The engine's apply loop over a given replica (as test/doubles/engine-context.ts, any replica).

async function engineOn(replica: Replica): Promise<EngineContext> {
  const settings = settingsSchema.parse({ tenant: { ctx: 'sqlserver', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: ':memory:' }, snapshotFenceDelayMs: 0, retryInitialMs: 1, retryMaxMs: 2 });
  await replica.connect();
  await replica.ensureStateTable();
  const events = new EngineEmitter();
  const errors: unknown[] = [];
  events.on('error', (e) => { errors.push(e); });
  const topics = tenantTopics('sqlserver');
  let high = 0n;
  const admin = { fetchTopicOffsets: async (t: string) => [{ partition: 0, low: '0', high: t === topics.cdc ? high.toString() : '0', offset: '0' }] };
  const producer = { send: async () => [] };
  const ctx = {
    settings, log: silentLogger, events, replica, kafka: null as never, admin, producer, topics, topicPrefix: 'sqlserver', session: null,
    registry: new TableRegistry(), decoder: new EnvelopeDecoder(), filter: createTableFilter(settings.tables),
    nextOffsets: new Map(), watermarks: new Map(), gaps: [], fullSnapshot: null, completed: { key: null, ts: null },
    notifNext: new Map(), initialScan: null, loop: new ControlLoop(), lease: null, historyNext: null, schemaLog: new Map(), schemaLogHigh: 0n,
    schemaLogCheckedAt: Date.now() + 3_600_000, state: 'streaming', stopping: false, paused: false,
    setState(state: string) { this.state = state; },
    async persist(rows: Parameters<Replica['writeState']>[0], remove?: string[]) { await replica.writeState(rows, remove); },
    errors, setHigh(h: bigint) { high = h; },
  };
  return ctx as unknown as EngineContext;
}

function message(key: string, value: string, offset: number): KafkaMessage {
  return { key: Buffer.from(key), value: Buffer.from(value), offset: String(offset), timestamp: String(1_700_000_000_000 + offset), attributes: 0, headers: {} } as KafkaMessage;
}

// ---------------------------------------------------------------------------------------------------
// Reading back: plain SQL, each cell cast to text by the database.

const sqlType = (c: ColumnDoc): string => /^\w+/.exec(c.sqlType)![0];
const BINARY = new Set(['binary', 'varbinary', 'image', 'rowversion']);
const qi = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function readExpr(db: Db, c: ColumnDoc, fx: SqlServerFixture): string {
  const q = qi(c.name);
  const bytes = BINARY.has(sqlType(c)) && fx.connector['binary.handling.mode'] === 'bytes';
  if (db === 'postgres') {
    if (bytes) return `'0x' || upper(encode(${q}, 'hex'))`; // fails unless the column is bytea
    if (sqlType(c) === 'bit') return `${q}::int::text`; // boolean → 1/0, as SQL Server prints a bit
    return `${q}::text`;
  }
  if (bytes) return `CASE WHEN ${q} IS NULL THEN NULL WHEN typeof(${q}) = 'blob' THEN '0x' || hex(${q}) ELSE 'not a blob: ' || typeof(${q}) END`;
  return `CAST(${q} AS TEXT)`;
}

interface Opened { db: Db; replica: Replica; read(): Promise<Map<string, Cells>>; offsetRow(): Promise<string | null>; cleanup(): Promise<void> }

let pgServer: PostgresServer | undefined;

async function openTarget(target: Target, fx: SqlServerFixture, n: number): Promise<Opened> {
  const db: Db = target === 'sqlite' ? 'sqlite' : 'postgres';
  const select = `SELECT ${columns.map((c) => `${readExpr(db, c, fx)} AS ${qi(c.name)}`).join(', ')}`;
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tm-sqlserver-events-'));
    const file = join(dir, 'replica.db');
    const replica = createSqliteReplica({ file, tablePrefix: '' });
    const reader = (): Database.Database => new Database(file, { readonly: true });
    return {
      db, replica,
      async read() {
        const r = reader();
        try {
          const rows = r.prepare(`${select} FROM "alltypes" ORDER BY "id"`).all() as Cells[];
          return new Map(rows.map((row) => [row.id!, row]));
        } finally { r.close(); }
      },
      async offsetRow() {
        const r = reader();
        try { return (r.prepare(`SELECT CAST("Value" AS TEXT) AS v FROM "_ReplicationState" WHERE "Kind" = 'offset'`).get() as { v: string } | undefined)?.v ?? null; } finally { r.close(); }
      },
      async cleanup() { await replica.close(); rmSync(dir, { recursive: true, force: true }); },
    };
  }
  const s = pgServer!.info();
  const database = `sqlserver_events_${target === 'postgres-copy' ? 'copy_' : ''}${n}_${process.pid}`;
  const admin = async <T>(dbName: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ host: s.host, port: s.port, user: s.user, database: dbName });
    await c.connect();
    try { return await fn(c); } finally { await c.end(); }
  };
  await admin('postgres', (c) => c.query(`CREATE DATABASE ${database}`));
  const replica = createPostgresReplica({ host: s.host, port: s.port, user: s.user, database, tablePrefix: '', copyThreshold: target === 'postgres-copy' ? 1 : 1e9 });
  // The reader's own session: UTC, ISO dates, shortest exact float text (PostgreSQL ≥ 12 default, set anyway).
  const session = `SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET extra_float_digits = 1; SET IntervalStyle = 'postgres'`;
  return {
    db, replica,
    async read() {
      return admin(database, async (c) => {
        await c.query(session);
        const res = await c.query<Cells>(`${select} FROM "dbo"."alltypes" ORDER BY "id"`);
        return new Map(res.rows.map((row) => [row.id!, row]));
      });
    },
    async offsetRow() {
      return admin(database, async (c) => (await c.query<{ v: string }>(`SELECT "Value"::text AS v FROM public."_ReplicationState" WHERE "Kind" = 'offset'`)).rows[0]?.v ?? null);
    },
    async cleanup() { await replica.close(); await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)); },
  };
}

// ---------------------------------------------------------------------------------------------------
// What the replica must hold, from the source text and the connector settings alone.

type Expect = { text: string } | { float64: number } | { float32: number } | { temporal: string } | { utc: string };

const hexOf = (t: string): Buffer => Buffer.from(t.slice(2), 'hex');

/** Fraction of '…HH:MM:SS[.f]' cut (never rounded) to `digits`. */
function cutFraction(text: string, digits: number): string {
  const m = /^(.*\d{2}:\d{2}:\d{2})(?:\.(\d+))?$/.exec(text)!;
  const f = (m[2] ?? '').slice(0, digits);
  return f ? `${m[1]}.${f}` : m[1]!;
}

/** UTC 'YYYY-MM-DD HH:MM:SS[.f]' of SQL Server's 'YYYY-MM-DD HH:MM:SS[.f] ±hh:mm', fraction cut to `digits`. */
function utcOf(text: string, digits: number): string {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ([+-])(\d{2}):(\d{2})$/.exec(text)!;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]) - (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])), Number(m[6]), 0);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const f = (m[7] ?? '').slice(0, digits);
  return `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}${f ? '.' + f : ''}`;
}

function expected(c: ColumnDoc, src: string, fx: SqlServerFixture): Expect {
  const s = fx.connector;
  const connect = s['time.precision.mode'] === 'connect';
  const propagate = s['column.propagate.source.type'] !== undefined;
  switch (sqlType(c)) {
    case 'decimal': case 'numeric': case 'money': case 'smallmoney':
      return s['decimal.handling.mode'] === 'double' ? { float64: Number(src) } : { text: src };
    case 'float': return { float64: Number(src) };
    case 'real': return { float32: Math.fround(Number(src)) };
    case 'time': case 'datetime2': case 'datetime': case 'smalldatetime':
      return { temporal: connect ? cutFraction(src, 3) : src };
    case 'datetimeoffset':
      // Kept with its own offset (SQL Server's style 121 text), or the UTC instant at 6 digits.
      return propagate ? { text: src } : { utc: utcOf(src, 6) };
    case 'uniqueidentifier':
      // The same GUID; a uuid column prints it lower-case (PostgreSQL's uuid, SQLite's canonical text).
      return { text: propagate ? src.toLowerCase() : src };
    case 'binary': case 'varbinary': case 'image': case 'rowversion':
      switch (s['binary.handling.mode']) {
        case 'base64': return { text: hexOf(src).toString('base64') };
        case 'hex': return { text: hexOf(src).toString('hex') };
        default: return { text: src };
      }
    default: return { text: src }; // integers, bit (1/0), date, char/varchar/nchar/nvarchar/text/ntext/xml
  }
}

// What Debezium/the driver send for the cells the fixture lists as corrupted, computed from the source
// text and the documented cause: the replica must hold exactly that (it differs from the source).

const p2 = (n: number, w = 2): string => String(n).padStart(w, '0');
const ymd = (d: Date): string => `${p2(d.getUTCFullYear(), 4)}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`;
const hms = (d: Date): string => `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`;

/** io.debezium.time.NanoTimestamp: int64 nanoseconds since 1970, wrapped; read back at the column's 7 digits. */
function nanoWrapped(src: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{7})$/.exec(src)!;
  const d = new Date(0);
  d.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  d.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]), 0);
  const nanos = BigInt.asIntN(64, BigInt(d.getTime()) * 1_000_000n + BigInt(m[7]! + '00'));
  let secs = nanos / 1_000_000_000n;
  if (secs * 1_000_000_000n > nanos) secs -= 1n;
  const sub = (nanos - secs * 1_000_000_000n).toString().padStart(9, '0');
  const t = new Date(Number(secs) * 1000);
  return `${ymd(t)} ${hms(t)}.${sub.slice(0, 7)}`;
}

/** The driver reads a datetimeoffset's proleptic Gregorian date as a Julian one: the Gregorian date of that Julian date. */
function julianRead(src: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})( .*)$/.exec(src)!;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const a = Math.floor((14 - mo) / 12), yy = y + 4800 - a, mm = mo + 12 * a - 3;
  const jdn = d + Math.floor((153 * mm + 2) / 5) + 365 * yy + Math.floor(yy / 4) - 32083; // Julian calendar day number
  const g = new Date(0);
  g.setUTCFullYear(1970, 0, 1 + (jdn - 2440588)); // 2440588 = JDN of 1970-01-01 (Gregorian)
  return `${ymd(g)}${m[4]}`;
}

function corrupted(c: ColumnDoc, src: string, fx: SqlServerFixture, reason: string): Expect {
  if (/NanoTimestamp overflows int64/.test(reason)) return { temporal: nanoWrapped(src) };
  if (/Julian\/Gregorian/.test(reason)) return expected(c, julianRead(src), fx);
  throw new Error(`no rule for the documented corruption ${JSON.stringify(reason)}: add one`);
}

/** Trailing zeros of a fraction say nothing about the value (PostgreSQL's time/timestamp text drops them). */
const stripZeros = (t: string): string => t.replace(/(\d{2}:\d{2}:\d{2})\.(\d*?)0*$/, (_m, hms: string, f: string) => (f ? `${hms}.${f}` : hms));

/** The replica's text of an offset-keeping timestamp ('YYYY-MM-DDTHH:MM:SS[.f]±hh:mm') in SQL Server's style 121. */
const style121 = (t: string): string => t.replace(/^(\d{4,}-\d{2}-\d{2})T/, '$1 ').replace(/([+-]\d{2}:\d{2})$/, ' $1');

/** PostgreSQL's text of a year before 1 ('0001-… BC' is year 0) with the ISO (astronomical) year. */
function isoYear(t: string): string {
  const m = /^(\d{4,})(-.*) BC$/.exec(t);
  if (!m) return t;
  const y = 1 - Number(m[1]);
  return `${y < 0 ? '-' : ''}${String(Math.abs(y)).padStart(4, '0')}${m[2]}`;
}

/** The replica's UTC timestamptz text ('…T…Z', '… …+00', '… …+00 BC') as 'YYYY-MM-DD HH:MM:SS[.f]'. */
const utcText = (t: string): string => stripZeros(isoYear(t).replace('T', ' ').replace(/(Z|\+00(:00)?)$/, ''));

function matches(got: string, want: Expect): boolean {
  if ('text' in want) return got === want.text;
  if ('float64' in want) return /^-?[\d.]+(e[+-]?\d+)?$/i.test(got) && Number(got) === want.float64;
  if ('float32' in want) return /^-?[\d.]+(e[+-]?\d+)?$/i.test(got) && Math.fround(Number(got)) === want.float32;
  if ('temporal' in want) return stripZeros(got) === stripZeros(want.temporal);
  return utcText(got) === stripZeros(want.utc);
}

/** The replica's text of a datetimeoffset kept with its offset, as SQL Server would print it. */
function shown(c: ColumnDoc, got: string, fx: SqlServerFixture): string {
  return sqlType(c) === 'datetimeoffset' && fx.connector['column.propagate.source.type'] !== undefined ? style121(got) : got;
}

// ---------------------------------------------------------------------------------------------------

before(async () => { pgServer = await startPostgres(); });
after(async () => { await pgServer?.stop({ removeData: true }); });

for (const db of ['sqlite', 'postgres', 'postgres-copy'] as const) {
  describe(`SQL Server source events → ${db} replica`, () => {
    fixtures.forEach((fx, n) => {
      test(`${fx.name}: after every event the ${db} table holds exactly what SQL Server holds`, async () => {
        const target = await openTarget(db, fx, n);
        try {
          const ctx = await engineOn(target.replica);
          const model = new Map<string, string>(); // id → fixture row name, as SQL Server's table would stand
          let cells = 0;
          let corrupt = 0;
          for (const [i, ev] of fx.events.entries()) {
            (ctx as unknown as { setHigh(h: bigint): void }).setHigh(BigInt(i + 1));
            await processMessages(ctx, 0, [message(ev.key, ev.value, i)], async () => undefined);
            const errors = (ctx as unknown as { errors: unknown[] }).errors;
            assert.deepEqual(errors, [], `${ev.name}: the engine reported errors`);
            if (ev.op === 'd') model.delete(fx.source[ev.before!]!.id!);
            else model.set(fx.source[ev.after!]!.id!, ev.after!);
            // The partition's next offset was written in the same transaction as the rows.
            assert.equal(JSON.parse((await target.offsetRow()) ?? '{}').next, String(i + 1), `${ev.name}: offset row`);
            const got = await target.read();
            assert.deepEqual([...got.keys()].sort(), [...model.keys()].sort(), `${ev.name}: row keys`);
            for (const [id, rowName] of model) {
              const row = got.get(id)!;
              const src = fx.source[rowName]!;
              for (const c of columns) {
                const where = `${fx.name} after ${ev.name}: row ${rowName} ${c.name} (${c.sqlType})`;
                const have = row[c.name] ?? null;
                const text = src[c.name] ?? null;
                if (text === null) { assert.equal(have, null, `${where}: NULL expected`); continue; }
                assert.notEqual(have, null, `${where}: NULL instead of ${JSON.stringify(text).slice(0, 60)}`);
                const want = expected(c, text, fx);
                const ok = matches(shown(c, have!, fx), want);
                const broken = fx.connectorCorrupts.find((x) => x.row === rowName && x.column === c.name);
                if (broken) {
                  // Debezium/the driver cannot carry this cell: what lands differs from the source, exactly as documented.
                  assert.ok(!ok, `${where} is listed as corrupted by the connector, yet the replica holds the source value`);
                  const sent = corrupted(c, text, fx, broken.reason);
                  assert.ok(matches(shown(c, have!, fx), sent), `${where}: replica ${JSON.stringify(shown(c, have!, fx))} ≠ what the connector sends (${broken.reason}): ${JSON.stringify(sent)}`);
                  corrupt++;
                  continue;
                }
                assert.ok(ok, `${where}: replica ${JSON.stringify(shown(c, have!, fx)).slice(0, 80)} ≠ source ${JSON.stringify(text).slice(0, 80)} (expected ${JSON.stringify(want).slice(0, 80)})`);
                cells++;
              }
            }
          }
          assert.deepEqual([...model.keys()].sort(), ['1', '3', '4']);
          assert.ok(cells >= columns.length * 10, `${cells} cells compared`);
          assert.equal(corrupt > 0, fx.connectorCorrupts.length > 0);
          const rec = ctx.registry.all()[0]!;
          assert.equal(rec.state, 'ok', `table state ${rec.state}: ${JSON.stringify(rec.error)}`);
        } finally {
          await target.cleanup();
        }
      });
    });
  });
}
