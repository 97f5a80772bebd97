/**
 * Per-table, per-key reduction of a run of change events: the last event per key wins, so upserts and
 * deletes of one batch are disjoint and can be written set-based in any order. A partial after-image
 * (unavailable columns left out) is merged over an earlier full image of the same key.
 */
import type { Row, RowValue, TableDef } from '../schema/table-model.ts';
import type { TableChanges } from '../replica/replica.ts';

function keyPart(v: RowValue): string {
  if (v === null) return '\u0000';
  if (Buffer.isBuffer(v)) return 'x' + v.toString('hex');
  return String(v);
}

export function keyString(pk: string[], key: Row): string {
  if (pk.length === 1) return keyPart(key[pk[0]!] ?? null);
  let s = '';
  for (const c of pk) s += keyPart(key[c] ?? null) + '\u0001';
  return s;
}

/** The primary-key values of `row`. */
export function keyValues(pk: string[], row: Row): Row {
  const out: Row = {};
  for (const c of pk) out[c] = row[c] ?? null;
  return out;
}

/** Whether `row` has at least `n` columns (counted without the array Object.keys would make). */
function hasAtLeast(row: Row, n: number): boolean {
  let k = 0;
  for (const _ in row) if (++k >= n) return true;
  return k >= n;
}

/** `present`: the key's first event in this buffer was an update or a delete (its row likely in the replica). */
interface Entry { del: boolean; row: Row; ts: number; present: boolean }

export class TableBuffer {
  readonly entries = new Map<string, Entry>();
  events = 0;
  markSeen = false;
  lastSourceTs = 0;
  snapshotRows = 0;
  def: TableDef;
  constructor(def: TableDef) { this.def = def; }

  /** `ts`: the event's Kafka timestamp (kept for recent-writes.ts); `update`: the event is an update. */
  upsert(key: Row, after: Row, ts = 0, update = false): void {
    const k = keyString(this.def.primaryKey, key);
    const prev = this.entries.get(k);
    let row: Row;
    if (prev && !prev.del && !hasAtLeast(after, this.def.columns.length)) row = { ...prev.row, ...after };
    else {
      // The after-image is the event's own (decoded for this event alone): the key goes into it, no copy.
      row = after;
      for (const c in key) row[c] = key[c]!;
    }
    this.entries.set(k, { del: false, row, ts, present: prev ? prev.present : update });
    this.events++;
  }

  delete(key: Row, ts = 0): void {
    const k = keyString(this.def.primaryKey, key);
    this.entries.set(k, { del: true, row: key, ts, present: this.entries.get(k)?.present ?? true });
    this.events++;
  }

  toChanges(): TableChanges {
    const upserts: Row[] = [];
    const present: boolean[] = [];
    const deletes: Row[] = [];
    for (const e of this.entries.values()) {
      if (e.del) deletes.push(e.row);
      else { upserts.push(e.row); present.push(e.present); }
    }
    return { table: this.def, upserts, present, deletes, markSeen: this.markSeen };
  }
}
