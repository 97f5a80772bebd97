/**
 * Upserted rows grouped by the set of columns they carry. An after-image may leave out columns whose
 * value was unavailable; such a row updates only the columns it has, so each column set gets its own
 * upsert statement. Used by every dialect (one statement or stage per set).
 */
import { MirrorError } from '../errors.ts';
import { presence, type Presence } from '../schema/row-code.ts';
import { tableId, type Row, type TableDef } from '../schema/table-model.ts';

interface ColumnSet<T> { names: string[]; present: Presence; value: T }

/**
 * The column sets of one table, each made once by `make` (a prepared statement, a group of rows…) and
 * kept. `of(row)` checks the row: a column the table lacks is SCHEMA_CONFLICT, a missing or null
 * primary-key value REPLICA_WRITE_FAILED. A column whose value is `undefined` counts as left out.
 */
export class ColumnSets<T> {
  private readonly sets = new Map<string, ColumnSet<T>>();
  private last: ColumnSet<T> | undefined;
  private readonly def: TableDef;
  private readonly make: (names: string[]) => T;
  private readonly id: string;
  private readonly known: Set<string>;

  constructor(def: TableDef, make: (names: string[]) => T) {
    this.def = def;
    this.make = make;
    this.id = tableId(def);
    this.known = new Set(def.columns.map((c) => c.name));
  }

  /** The set of `row`'s columns (names in table order). Rows in a batch mostly share one set: that case is checked first. */
  of(row: Row): T {
    // The last set's columns all there, and no other key: the row is of that set (a key whose value is
    // undefined makes the count larger and goes the long way).
    let keys = 0;
    for (const _ in row) keys++;
    const last = this.last;
    if (last && last.names.length === keys && last.present(row)) return last.value;
    let n = 0;
    for (const k in row) if (row[k] !== undefined) n++;
    const names: string[] = [];
    for (const c of this.def.columns) if (row[c.name] !== undefined) names.push(c.name);
    if (names.length !== n) {
      const extra = Object.keys(row).filter((k) => row[k] !== undefined && !this.known.has(k));
      throw new MirrorError('SCHEMA_CONFLICT', `a row for ${this.id} has column(s) ${extra.join(', ')} that the replica table does not have`);
    }
    for (const k of this.def.primaryKey) {
      if (row[k] === undefined || row[k] === null) throw new MirrorError('REPLICA_WRITE_FAILED', `a row for ${this.id} lacks primary-key column ${k}`);
    }
    const key = names.join('\u0000');
    let set = this.sets.get(key);
    if (!set) this.sets.set(key, (set = { names, present: presence(names), value: this.make(names) }));
    this.last = set;
    return set.value;
  }

  /** Every set made so far, in the order first seen. */
  values(): T[] {
    return [...this.sets.values()].map((s) => s.value);
  }
}

/** `rows` grouped by column set, groups in the order first seen, rows in their order (see ColumnSets). */
export function groupByColumnSet(def: TableDef, rows: readonly Row[]): { columns: string[]; rows: Row[] }[] {
  const sets = new ColumnSets(def, (columns) => ({ columns, rows: [] as Row[] }));
  for (const row of rows) sets.of(row).rows.push(row);
  return sets.values();
}
