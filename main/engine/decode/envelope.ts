/**
 * Debezium envelope (JsonConverter, schemas on) → a typed change event. Value and key schemas are
 * cached by their exact text, so the schema of a busy table is parsed once, not once per event.
 */
import { MirrorError } from '../errors.ts';
import { tableHash } from '../schema/table-hash.ts';
import type { Row, TableDef } from '../schema/table-model.ts';
import { SchemaInterner, schemaOf } from './compact.ts';
import { structField } from './connect-schema.ts';
import type { ConnectField } from './connect-schema.ts';
import { parseEnvelopePayload, parseLossless } from './json.ts';
import { buildStructDecoder } from './struct-decoder.ts';
import type { StructDecoder } from './struct-decoder.ts';

export type Op = 'c' | 'u' | 'd' | 'r';
export type SnapshotMarker = 'first' | 'first_in_data_collection' | 'true' | 'last_in_data_collection' | 'last' | 'incremental';

export interface ChangeEvent {
  kind: 'change';
  op: Op;
  def: TableDef;
  defHash: string;
  key: Row;
  /** After-image for c/u/r (possibly partial when values were unavailable); null for d. */
  after: Row | null;
  snapshot: SnapshotMarker | null;
  /**
   * Identity of the full (initial / blocking) snapshot a record belongs to: the source block without its
   * per-record fields. Every record of one snapshot carries the same source position (MariaDB/MySQL binlog
   * file+pos+gtid, SQL Server commit_lsn, PostgreSQL lsn), so records of one snapshot can be told from the
   * next one whatever partition they land in. Null for other records.
   */
  snapshotKey: string | null;
  /** Commit time at the source (ms). */
  sourceTsMs: number;
  /** The event's source block as decoded (where it was written: schema/source-position.ts reads it when needed). */
  source: Record<string, unknown>;
  connector: string;
  /** Data-collection id as Debezium signals name it (`db.table`, `db.schema.table` or `schema.table`). */
  collection: string;
}
/** A TRUNCATE at the source (op `t`, emitted when the connector's `skipped.operations` lets it through). */
export interface TruncateEvent { kind: 'truncate'; schema: string; name: string; collection: string }
/** An event of a table the caller does not mirror, told from its key schema alone (the value is not decoded). */
export interface SkippedEvent { kind: 'skipped'; schema: string; name: string }
export type Decoded = ChangeEvent | TruncateEvent | SkippedEvent | { kind: 'tombstone' };

interface EnvelopeSchema {
  rowSchema: ConnectField;
  decoder: StructDecoder | null;
  /** Table definition per key schema (the same value schema always names the same table). */
  defs: Map<KeyEntry, { def: TableDef; hash: string }>;
}

interface KeyEntry { fields: string[]; decoder: StructDecoder; table: { schema: string; name: string } | null }
interface Parsed<T> { entry: T; payload: unknown }

const PLAIN = /^[A-Za-z0-9_]+$/;

/**
 * The table a key schema names (`<prefix>.<db>[.<schema>].<table>.Key`), once per key schema. Only plain
 * names are trusted (Debezium may adjust others): an unusual name is decoded and filtered the normal way.
 */
function tableOfKeySchema(name: string | undefined): KeyEntry['table'] {
  const parts = (name ?? '').replace(/\.Key$/, '').split('.');
  if (!name?.endsWith('.Key') || parts.length < 3) return null;
  const [schema, table] = [parts[parts.length - 2]!, parts[parts.length - 1]!];
  return PLAIN.test(schema) && PLAIN.test(table) ? { schema, name: table } : null;
}

/** Columns the schema history says are BIGINT UNSIGNED, per exact `schema.table` (ids keep case: docs/naming.md). */
export type UnsignedBigints = ReadonlyMap<string, ReadonlySet<string>>;
const hintOf = (hints: UnsignedBigints, t: { schema: string; name: string } | null): ReadonlySet<string> | undefined =>
  (t ? hints.get(`${t.schema}.${t.name}`) : undefined);

function buildKey(s: ConnectField, hints: UnsignedBigints = new Map()): KeyEntry {
  const table = tableOfKeySchema(s.name);
  const decoder = buildStructDecoder(s, undefined, hintOf(hints, table));
  return { fields: decoder.columns.map((c) => c.name), decoder, table };
}

/** A key column decoded without the connector (a MySQL TIME is a time there, a duration in the row). */
const keyKind = (k: string): string => (k === 'duration' ? 'time' : k);

function buildValue(s: ConnectField): EnvelopeSchema {
  const rowSchema = structField(s, 'after') ?? structField(s, 'before');
  if (!rowSchema?.fields) throw new MirrorError('DECODE_FAILED', `value schema ${s.name ?? ''} is not a Debezium envelope`);
  return { rowSchema, decoder: null, defs: new Map() };
}

const OPS = new Set(['c', 'u', 'd', 'r']);
const MARKERS = new Set(['first', 'first_in_data_collection', 'true', 'last_in_data_collection', 'last', 'incremental']);

export class EnvelopeDecoder {
  private readonly values = new Map<string, EnvelopeSchema>();
  private readonly keys = new Map<string, KeyEntry>();
  /** Schema parts of records read whole, recognised by their bytes (compact.ts). */
  private readonly schemas = new SchemaInterner();
  private unsigned: UnsignedBigints = new Map();
  /** Moves on whenever what decoding depends on changes (decode-ahead.ts keeps no result across it). */
  epoch = 0;
  private readonly buildKey = (s: ConnectField): KeyEntry => buildKey(s, this.unsigned);

  /**
   * BIGINT UNSIGNED columns known from the schema history (used where the connector does not propagate
   * source types). A change drops the cached schemas, so the next events decode with it.
   */
  setUnsignedBigints(hints: UnsignedBigints): boolean {
    const flat = (h: UnsignedBigints): string => JSON.stringify([...h].map(([t, c]) => [t, [...c].sort()]).sort());
    if (flat(hints) === flat(this.unsigned)) return false;
    this.unsigned = hints;
    this.epoch++;
    this.values.clear(); this.keys.clear();
    return true;
  }

  /**
   * Decodes an event straight from the Kafka message buffers: the schema part is recognised by comparing
   * bytes with the schemas seen before (no string is made of it, nor hashed), and only the payload
   * becomes a string. A record that is not `{"schema":…,"payload":…}` is parsed whole (parseWhole).
   */
  decodeBuffers(keyBuf: Buffer | null, valueBuf: Buffer | null, accept?: (schema: string, name: string) => boolean): Decoded {
    if (valueBuf === null) return { kind: 'tombstone' };
    if (keyBuf === null) return truncateOf(this.parseBuffer(valueBuf, this.values, buildValue).payload);
    const key = this.parseBuffer(keyBuf, this.keys, this.buildKey);
    // Events of tables not mirrored are dropped before their value is decoded: a malformed one halts nothing.
    const t = key.entry.table;
    if (accept && t && !accept(t.schema, t.name)) return { kind: 'skipped', schema: t.schema, name: t.name };
    return this.decodeParsed(key, this.parseBuffer(valueBuf, this.values, buildValue));
  }

  private decodeParsed(key: Parsed<KeyEntry>, value: Parsed<EnvelopeSchema>): Decoded {
    const p = value.payload as Record<string, unknown> | null;
    if (!p || typeof p !== 'object') throw new MirrorError('DECODE_FAILED', 'envelope payload is not an object');
    const op = p.op as string;
    if (!OPS.has(op)) throw new MirrorError('DECODE_FAILED', `unsupported op ${JSON.stringify(op)}`);
    const source = (p.source ?? {}) as Record<string, unknown>;
    const connector = String(source.connector ?? '');
    const env = value.entry;
    const schema = String(source.schema ?? source.db ?? '');
    const name = String(source.table ?? '');
    env.decoder ??= buildStructDecoder(env.rowSchema, connector, hintOf(this.unsigned, { schema, name }));
    const decoder = env.decoder;
    if (!name) throw new MirrorError('DECODE_FAILED', 'envelope source has no table');
    let d = env.defs.get(key.entry);
    if (!d) {
      // A key schema that contradicts the value schema (a key column missing from the row, or typed
      // differently) would otherwise be taken for a schema change and rebuild the table: reject the event.
      for (const k of key.entry.decoder.columns) {
        const col = decoder.columns.find((c) => c.name === k.name);
        if (!col) throw new MirrorError('SCHEMA_CONFLICT', `key column ${k.name} of ${schema}.${name} is not in the event's row schema`, { detail: { table: `${schema}.${name}`, column: k.name } });
        if (keyKind(col.type.kind) !== keyKind(k.type.kind)) throw new MirrorError('SCHEMA_CONFLICT', `key column ${k.name} of ${schema}.${name} is ${k.type.kind} in the key schema but ${col.type.kind} in the row schema`, { detail: { table: `${schema}.${name}`, column: k.name } });
      }
      const def: TableDef = { schema, name, columns: decoder.columns, primaryKey: key.entry.fields };
      d = { def, hash: tableHash(def) };
      env.defs.set(key.entry, d);
    }
    const snap = source.snapshot;
    const marker = typeof snap === 'string' && MARKERS.has(snap) ? (snap as SnapshotMarker) : null;
    const afterPayload = p.after as Record<string, unknown> | null | undefined;
    const keyRow = key.entry.decoder.decode(key.payload as Record<string, unknown>);
    return {
      kind: 'change',
      op: op as Op,
      def: d.def,
      defHash: d.hash,
      key: keyRow,
      after: op === 'd' || !afterPayload ? null : decoder.decode(afterPayload),
      snapshot: op === 'r' ? marker : null,
      snapshotKey: op === 'r' && marker !== null && marker !== 'incremental' ? snapshotKeyOf(source) : null,
      sourceTsMs: Number(source.ts_ms ?? p.ts_ms ?? 0),
      source,
      connector,
      collection: collectionId(connector, source, name),
    };
  }

  private parseBuffer<T>(buf: Buffer, cache: Map<string, T>, build: (schema: ConnectField) => T): Parsed<T> {
    // Compacted when read ahead (the buffer is the payload), or split here; else parsed whole.
    const compacted = schemaOf(buf);
    const found = compacted ? { ref: compacted, at: 0 } : this.schemas.split(buf);
    if (found === null) return this.parseWhole(buf.toString('utf8'), cache, build);
    let entry = cache.get(found.ref.text);
    if (entry === undefined) {
      const schema = JSON.parse(found.ref.text) as ConnectField | null;
      if (!schema || typeof schema !== 'object') return this.parseWhole(buf.toString('utf8'), cache, build);
      entry = build(schema);
      cache.set(found.ref.text, entry);
    }
    return { entry, payload: payloadOf(buf, found.at, compacted ? buf.length : buf.length - 1) };
  }

  /** The whole record parsed as JSON: for records the byte path does not recognise. */
  private parseWhole<T>(text: string, cache: Map<string, T>, build: (schema: ConnectField) => T): Parsed<T> {
    let whole: { schema?: ConnectField; payload?: unknown };
    try { whole = parseLossless(text) as typeof whole; } catch (err) {
      throw new MirrorError('DECODE_FAILED', `malformed JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!whole || typeof whole !== 'object' || !whole.schema) throw new MirrorError('DECODE_FAILED', 'record has no Connect schema (is schemas.enable=true?)');
    const schemaText = JSON.stringify(whole.schema);
    let entry = cache.get(schemaText);
    if (!entry) { entry = build(whole.schema); cache.set(schemaText, entry); }
    return { entry, payload: whole.payload };
  }
}

function payloadOf(buf: Buffer, start: number, end: number): unknown {
  try {
    return parseEnvelopePayload(buf.toString('utf8', start, end));
  } catch (err) {
    throw new MirrorError('DECODE_FAILED', `malformed JSON payload: ${(err as Error).message}`, { cause: err });
  }
}

/** A keyless record is a truncate (op `t`) or a table without a primary key (refused). */
function truncateOf(payload: unknown): TruncateEvent {
  const p = payload as { op?: unknown; source?: Record<string, unknown> } | null;
  if (!p || p.op !== 't') throw new MirrorError('DECODE_FAILED', 'change event without a key: the table has no primary key');
  const source = p.source ?? {};
  const name = String(source.table ?? '');
  if (!name) throw new MirrorError('DECODE_FAILED', 'truncate event without a table');
  return { kind: 'truncate', schema: String(source.schema ?? source.db ?? ''), name, collection: collectionId(String(source.connector ?? ''), source, name) };
}

/** Per-record fields of a Debezium source block: left out of a snapshot's identity. */
const PER_RECORD = new Set(['ts_ms', 'ts_us', 'ts_ns', 'snapshot', 'table', 'schema', 'row', 'thread', 'query', 'event_serial_no', 'change_lsn']);

/** The last source block keyed and its key: the records of one snapshot share every identity field. */
let lastSource: Record<string, unknown> | null = null;
let lastFields = 0;
let lastKey = '';

/** Whether `b` has exactly `a`'s identity fields with the same primitive values (then its key is `a`'s). */
function sameIdentity(a: Record<string, unknown>, fields: number, b: Record<string, unknown>): boolean {
  let n = 0;
  for (const k in b) {
    if (PER_RECORD.has(k)) continue;
    const v = b[k];
    if (v !== null && typeof v === 'object') return false;
    if (!(k in a) || a[k] !== v) return false;
    n++;
  }
  return n === fields;
}

export function snapshotKeyOf(source: Record<string, unknown>): string {
  if (lastSource !== null && sameIdentity(lastSource, lastFields, source)) return lastKey;
  const keys = Object.keys(source).filter((k) => !PER_RECORD.has(k)).sort();
  lastKey = JSON.stringify(keys.map((k) => [k, source[k]]));
  lastSource = source;
  lastFields = keys.length;
  return lastKey;
}

export function collectionId(connector: string, source: Record<string, unknown>, table: string): string {
  const db = source.db === undefined || source.db === null ? null : String(source.db);
  const schema = source.schema === undefined || source.schema === null ? null : String(source.schema);
  if (connector === 'sqlserver') return [db, schema, table].filter((x) => x !== null).join('.');
  if (connector === 'postgresql') return `${schema ?? 'public'}.${table}`;
  return [db ?? schema, table].filter((x) => x !== null).join('.');
}
