/**
 * Replica table names (docs/naming.md): the one pure rule that maps a source table name to its replica
 * name per dialect, and the name of a table's sweep set.
 */
import { createHash } from 'node:crypto';
import { tableId, type TableRef } from '../schema/table-model.ts';
import { SEEN_TABLE_PREFIX } from './replica.ts';

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
