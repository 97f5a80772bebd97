/**
 * Debezium envelope (JsonConverter, schemas on) → a typed change event. Value and key schemas are
 * cached by their exact text, so the schema of a busy table is parsed once, not once per event.
 */
import { MirrorError } from '../errors.ts';
import { tableHash } from '../schema/table-hash.ts';
import type { Row, TableDef } from '../schema/table-model.ts';
import { structField } from './connect-schema.ts';
import type { ConnectField } from './connect-schema.ts';
import { parseLossless, splitEnvelope } from './json.ts';
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
  /** Commit time at the source (ms). */
  sourceTsMs: number;
  connector: string;
  /** Data-collection id as Debezium signals name it (`db.table`, `db.schema.table` or `schema.table`). */
  collection: string;
}
export type Decoded = ChangeEvent | { kind: 'tombstone' };

interface EnvelopeSchema {
  rowSchema: ConnectField;
  decoder: StructDecoder | null;
  /** Table definition per key schema (the same value schema always names the same table). */
  defs: Map<string, { def: TableDef; hash: string }>;
}

const OPS = new Set(['c', 'u', 'd', 'r']);
const MARKERS = new Set(['first', 'first_in_data_collection', 'true', 'last_in_data_collection', 'last', 'incremental']);

export class EnvelopeDecoder {
  private readonly values = new Map<string, EnvelopeSchema>();
  private readonly keys = new Map<string, { fields: string[]; decoder: StructDecoder }>();

  /** Number of distinct value schemas seen (diagnostics). */
  get schemaCount(): number { return this.values.size; }

  decode(keyText: string | null, valueText: string | null): Decoded {
    if (valueText === null) return { kind: 'tombstone' };
    if (keyText === null) throw new MirrorError('DECODE_FAILED', 'change event without a key: the table has no primary key');
    const key = this.parseRecord(keyText, this.keys, (s) => {
      const decoder = buildStructDecoder(s);
      return { fields: decoder.columns.map((c) => c.name), decoder };
    });
    const value = this.parseRecord(valueText, this.values, (s) => {
      const rowSchema = structField(s, 'after') ?? structField(s, 'before');
      if (!rowSchema?.fields) throw new MirrorError('DECODE_FAILED', `value schema ${s.name ?? ''} is not a Debezium envelope`);
      return { rowSchema, decoder: null, defs: new Map() };
    });
    const p = value.payload as Record<string, unknown> | null;
    if (!p || typeof p !== 'object') throw new MirrorError('DECODE_FAILED', 'envelope payload is not an object');
    const op = p.op as string;
    if (!OPS.has(op)) throw new MirrorError('DECODE_FAILED', `unsupported op ${JSON.stringify(op)}`);
    const source = (p.source ?? {}) as Record<string, unknown>;
    const connector = String(source.connector ?? '');
    const env = value.entry;
    env.decoder ??= buildStructDecoder(env.rowSchema, connector);
    const decoder = env.decoder;
    const schema = String(source.schema ?? source.db ?? '');
    const name = String(source.table ?? '');
    if (!name) throw new MirrorError('DECODE_FAILED', 'envelope source has no table');
    let d = env.defs.get(key.schemaText);
    if (!d) {
      const def: TableDef = { schema, name, columns: decoder.columns, primaryKey: key.entry.fields };
      d = { def, hash: tableHash(def) };
      env.defs.set(key.schemaText, d);
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
      sourceTsMs: Number(source.ts_ms ?? p.ts_ms ?? 0),
      connector,
      collection: collectionId(connector, source, name),
    };
  }

  private parseRecord<T>(text: string, cache: Map<string, T>, build: (schema: ConnectField) => T): { entry: T; payload: unknown; schemaText: string } {
    const split = splitEnvelope(text);
    if (split) {
      let entry = cache.get(split.schemaText);
      if (!entry) {
        let schema: ConnectField | null = null;
        try { schema = JSON.parse(split.schemaText) as ConnectField; } catch { schema = null; }
        if (schema) { entry = build(schema); cache.set(split.schemaText, entry); }
      }
      if (entry) {
        try {
          return { entry, payload: parseLossless(split.payloadText), schemaText: split.schemaText };
        } catch (err) {
          throw new MirrorError('DECODE_FAILED', `malformed JSON payload: ${(err as Error).message}`, { cause: err });
        }
      }
    }
    let whole: { schema?: ConnectField; payload?: unknown };
    try { whole = parseLossless(text) as typeof whole; } catch (err) {
      throw new MirrorError('DECODE_FAILED', `malformed JSON: ${(err as Error).message}`, { cause: err });
    }
    if (!whole || typeof whole !== 'object' || !whole.schema) throw new MirrorError('DECODE_FAILED', 'record has no Connect schema (is schemas.enable=true?)');
    const schemaText = JSON.stringify(whole.schema);
    let entry = cache.get(schemaText);
    if (!entry) { entry = build(whole.schema); cache.set(schemaText, entry); }
    return { entry, payload: whole.payload, schemaText };
  }
}

export function collectionId(connector: string, source: Record<string, unknown>, table: string): string {
  const db = source.db === undefined || source.db === null ? null : String(source.db);
  const schema = source.schema === undefined || source.schema === null ? null : String(source.schema);
  if (connector === 'sqlserver') return [db, schema, table].filter((x) => x !== null).join('.');
  if (connector === 'postgresql') return `${schema ?? 'public'}.${table}`;
  return [db ?? schema, table].filter((x) => x !== null).join('.');
}
