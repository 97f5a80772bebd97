/**
 * Per-table row code, generated once per column list: rows are read and built with the column names
 * written into the code (`row["name"]`), not with a name from an array (`row[names[i]]`). A name from an
 * array is a keyed access V8 cannot specialise (every column a different key: ~35 ns per column), a
 * written name is a property load it caches per row shape (~1 ns). For a 31-column row that is ~1 µs
 * per row on each pass (decode, COPY text, SQLite binds), a few percent of the engine's thread.
 *
 * Names enter the code only as JSON string literals (a JSON string is a valid JavaScript string
 * literal), so no column name can change the code. `__proto__` is refused (the callers keep their
 * generic loop for it): as an object literal's key it would set the prototype.
 */
import type { Row, RowValue } from './table-model.ts';

const literal = (name: string): string => JSON.stringify(name);

/** Whether generated code can be used for these names. */
export function codeable(names: readonly string[]): boolean {
  return !names.includes('__proto__');
}

/** Copies the named values of a row into `out`, in order (missing ones as undefined). */
export type Gather = (row: Row, out: (RowValue | undefined)[]) => void;

const gathers = new Map<string, Gather>();

export function gatherer(names: readonly string[]): Gather {
  const id = JSON.stringify(names);
  let g = gathers.get(id);
  if (g === undefined) {
    if (!codeable(names)) g = (row, out) => { for (let i = 0; i < names.length; i++) out[i] = row[names[i]!]; };
    else g = new Function('row', 'out', names.map((n, i) => `out[${i}] = row[${literal(n)}];`).join('\n')) as Gather;
    if (gathers.size >= 10_000) gathers.clear();
    gathers.set(id, g);
  }
  return g;
}

/**
 * Builds a row from a list of values (one per name, in order) in a single object literal: every row of
 * a table then has one shape, with its properties inside the object (not grown property by property).
 */
export type Build = (values: readonly RowValue[]) => Row;

export function builder(names: readonly string[]): Build {
  if (!codeable(names)) {
    return (values) => { const row: Row = {}; for (let i = 0; i < names.length; i++) row[names[i]!] = values[i]!; return row; };
  }
  return new Function('v', `return {${names.map((n, i) => `${literal(n)}: v[${i}]`).join(', ')}};`) as Build;
}

/** Whether a row has a value (not undefined) in every one of `names`. */
export type Presence = (row: Row) => boolean;

export function presence(names: readonly string[]): Presence {
  if (!codeable(names) || names.length === 0) return (row) => names.every((n) => row[n] !== undefined);
  return new Function('row', `return ${names.map((n) => `row[${literal(n)}] !== undefined`).join(' && ')};`) as Presence;
}
