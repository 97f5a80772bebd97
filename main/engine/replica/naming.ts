/**
 * Helpers shared by the replica dialects: replica table names and sweep-set names, canonical value text (decimal scale,
 * fractional seconds, UTC timestamptz) and tagging driver errors with the table they hit.
 */
import { createHash } from 'node:crypto';
import { tableId, type TableRef } from '../schema/table-model.ts';
import { MirrorError } from '../errors.ts';
import { SEEN_TABLE_PREFIX, type ClassifiedError } from './dialect.ts';

/** `_ReplicationSeen_<12 hex of sha256(tableId)>`: the sweep set of a table (tableId keeps case: `Casey` and `casey` have two). */
export function seenTableName(ref: TableRef): string {
  return SEEN_TABLE_PREFIX + createHash('sha256').update(tableId(ref)).digest('hex').slice(0, 12);
}

/**
 * How a dialect compares and limits table names. SQLite and SQL Server (case-insensitive collations)
 * compare names case-insensitively; PostgreSQL compares quoted names exactly but keeps only 63 bytes.
 */
export interface TableNameRule {
  caseInsensitive: boolean;
  /** Longest name in UTF-8 bytes (PostgreSQL: 63). */
  maxBytes?: number;
  /** Longest name in UTF-16 code units (SQL Server sysname: 128). */
  maxUnits?: number;
}

export const TABLE_NAME_RULES = {
  sqlite: { caseInsensitive: true },
  postgres: { caseInsensitive: false, maxBytes: 63 },
  sqlserver: { caseInsensitive: true, maxUnits: 128 },
} as const satisfies Record<string, TableNameRule>;

/** Names the product keeps for itself (`_ReplicationState`, `_ReplicationSeen_…`, SQLite's `_tm_rebuild_…`), in any case. */
const RESERVED = /^(?:_replication|_tm_)/i;
/** The end of an escaped name: `__` and 10 hex digits. A source name that ends so is escaped too. */
const ESCAPED_END = /__[0-9a-f]{10}$/i;
const HASH_HEX = 10;

function fits(name: string, rule: TableNameRule): boolean {
  return (rule.maxBytes === undefined || Buffer.byteLength(name, 'utf8') <= rule.maxBytes)
    && (rule.maxUnits === undefined || name.length <= rule.maxUnits);
}

/** The longest prefix of `s` (whole code points) within `bytes` UTF-8 bytes and `units` UTF-16 units. */
function cut(s: string, bytes: number, units: number): string {
  let out = '';
  let b = 0;
  for (const ch of s) {
    const cb = Buffer.byteLength(ch, 'utf8');
    if (b + cb > bytes || out.length + ch.length > units) break;
    out += ch;
    b += cb;
  }
  return out;
}

/**
 * The replica name of a source table (docs/naming.md). `lead` is put before it (SQLite's
 * `<tablePrefix>_`). The source name is kept as it is unless one of these holds, in which case it is
 * escaped:
 * 1. the dialect compares names case-insensitively and the name has an upper-case letter
 *    (`name !== name.toLowerCase()`): of `Casey` and `casey`, `casey` keeps its name;
 * 2. `lead + name` starts with `_replication` or `_tm_` in any case (the product's own tables);
 * 3. the name ends like an escaped name (`__` + 10 hex digits);
 * 4. `lead + name` is longer than the dialect's limit.
 * Escaped: `lead + <the name without leading underscores, cut to fit> + "__" + <first 10 hex of
 * sha256(exact source name)>` (`_ReplicationState` -> `ReplicationState__<hex>`: out of the product's names).
 * A pure function of the name: the same on every start, whatever other tables exist or arrive first.
 * Two names never map to one replica name: kept names differ under the dialect's comparison (on a
 * case-insensitive dialect they are all lower case), escaped names end in the hash of their own source
 * name, and kept names never end like that.
 */
export function replicaTableName(name: string, rule: TableNameRule, lead = ''): string {
  const full = lead + name;
  const kept = !(rule.caseInsensitive && name !== name.toLowerCase()) && !RESERVED.test(full) && !ESCAPED_END.test(name) && fits(full, rule);
  if (kept) return full;
  const suffix = '__' + createHash('sha256').update(name, 'utf8').digest('hex').slice(0, HASH_HEX);
  const room = (limit: number | undefined, size: (s: string) => number): number => (limit === undefined ? Infinity : limit - size(lead) - size(suffix));
  const head = cut(name.replace(/^_+/, ''), room(rule.maxBytes, (s) => Buffer.byteLength(s, 'utf8')), room(rule.maxUnits, (s) => s.length));
  return lead + head + suffix;
}

/**
 * Canonical decimal text: at least `scale` fractional digits (pads with zeros, never rounds), so
 * '1.5' in a decimal(9,2) reads back as '1.50' from every dialect. Non-numeric text is returned as is.
 */
export function canonicalDecimal(s: string, scale: number): string {
  if (scale <= 0) return s;
  const dot = s.indexOf('.');
  if (dot < 0) {
    if (!/^[+-]?\d+$/.test(s)) return s;
    return s + '.' + '0'.repeat(scale);
  }
  const have = s.length - dot - 1;
  return have >= scale ? s : s + '0'.repeat(scale - have);
}

/**
 * Pads the fractional seconds at the end of a time / timestamp text to `precision` digits
 * ('12:00:00' with precision 3 -> '12:00:00.000'). Never truncates.
 */
export function padFraction(s: string, precision: number): string {
  if (precision <= 0) return s;
  const m = /(\d{2}:\d{2}:\d{2})(?:\.(\d*))?$/.exec(s);
  if (!m) return s;
  const frac = m[2] ?? '';
  if (frac.length >= precision) return s;
  const head = s.slice(0, m.index) + m[1];
  return head + '.' + frac + '0'.repeat(precision - frac.length);
}

const TSTZ = /^(-?\d{4,})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/;

function pad(n: number, w: number): string {
  const s = String(Math.abs(n)).padStart(w, '0');
  return n < 0 ? '-' + s : s;
}

/**
 * Canonical timestamptz text: UTC, ISO-8601 with 'T' and 'Z', fractional seconds padded to
 * `precision` digits: '2024-02-29T12:34:56.123456Z'. Accepts an offset (+02:00, +0200, +02) or a
 * space instead of 'T' (PostgreSQL's output). Unparseable text is returned unchanged.
 */
export function canonicalTimestamptz(s: string, precision: number): string {
  const m = TSTZ.exec(s);
  if (!m) return s;
  const [, y, mo, d, h, mi, se, frac = '', off = 'Z'] = m;
  let offsetSec = 0;
  if (off !== 'Z' && off !== 'z') {
    const sign = off[0] === '-' ? -1 : 1;
    const digits = off.slice(1).replace(/:/g, '');
    offsetSec = sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60 + Number(digits.slice(4, 6) || '0'));
  }
  let out: string;
  if (offsetSec === 0) {
    out = `${y}-${mo}-${d}T${h}:${mi}:${se}`;
  } else {
    const t = new Date(0);
    t.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
    t.setUTCHours(Number(h), Number(mi), Number(se) - offsetSec, 0);
    out = `${pad(t.getUTCFullYear(), 4)}-${pad(t.getUTCMonth() + 1, 2)}-${pad(t.getUTCDate(), 2)}T${pad(t.getUTCHours(), 2)}:${pad(t.getUTCMinutes(), 2)}:${pad(t.getUTCSeconds(), 2)}`;
  }
  let f = frac;
  if (f.length < precision) f += '0'.repeat(precision - f.length);
  return out + (f ? '.' + f : '') + 'Z';
}

/** Property set on a driver error thrown while a given table was being written. */
const TABLE_TAG = 'replicaTable';

/** Tags `err` (when it is an object) with the id of the table being written, and returns it. */
export function tagTable(err: unknown, id: string): unknown {
  if (err && typeof err === 'object' && !(TABLE_TAG in err)) {
    Object.defineProperty(err, TABLE_TAG, { value: id, enumerable: false, configurable: true });
  }
  return err;
}

/** The table id a driver error was tagged with (see tagTable), if any. */
export function taggedTable(err: unknown): string | undefined {
  if (err && typeof err === 'object' && TABLE_TAG in err) {
    const v = (err as Record<string, unknown>)[TABLE_TAG];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

/** Error message of anything thrown. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Classification of our own MirrorErrors (thrown by the dialects before the driver is reached). */
export function classifyMirrorError(err: unknown): ClassifiedError | undefined {
  if (!(err instanceof MirrorError)) return undefined;
  const table = taggedTable(err);
  const withTable = (c: ClassifiedError): ClassifiedError => (table ? { ...c, table } : c);
  switch (err.code) {
    case 'REPLICA_UNREACHABLE': return withTable({ action: 'retry', code: 'REPLICA_UNREACHABLE', hint: err.message });
    case 'REPLICA_PERMISSION': return withTable({ action: 'halt-all', code: 'REPLICA_PERMISSION', hint: err.message });
    case 'REPLICA_LOG_FULL': return withTable({ action: 'halt-all', code: 'REPLICA_LOG_FULL', hint: err.message });
    case 'REPLICA_DUPLICATE_KEY': return withTable({ action: 'halt-table', code: 'REPLICA_DUPLICATE_KEY', hint: err.message });
    case 'SCHEMA_CONFLICT': return withTable({ action: 'halt-table', code: 'SCHEMA_CONFLICT', hint: err.message });
    // Another process writes to the replica now: never retried, never a table halt; the engine stops.
    case 'REPLICA_LEASE_LOST': return { action: 'halt-all', code: 'REPLICA_LEASE_LOST', hint: err.message };
    case 'REPLICA_IN_USE': return { action: 'halt-all', code: 'REPLICA_IN_USE', hint: err.message };
    default: return withTable({ action: 'halt-table', code: 'REPLICA_WRITE_FAILED', hint: err.message });
  }
}

/** Follows `.cause` links to the first error carrying a driver code (`code` string or SQLSTATE). */
export function driverError(err: unknown): (Error & { code?: string }) | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === 'object'; i++) {
    if (typeof (e as { code?: unknown }).code === 'string' && !(e instanceof MirrorError)) return e as Error & { code?: string };
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
