/** Which source tables are mirrored: the blocked list, Debezium's own tables, include/exclude globs. */
import { BLOCKED_TABLES, INTERNAL_TABLES } from '../blocked-tables.ts';
import type { Settings } from '../../../preload/contract/settings.ts';

function globToRegExp(glob: string): RegExp {
  const esc = glob.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${esc}$`);
}

export type FilterVerdict = 'mirror' | 'blocked' | 'internal' | 'excluded';

export function createTableFilter(tables: Settings['tables']): (schema: string, name: string) => FilterVerdict {
  const inc = tables.include.map(globToRegExp);
  const exc = tables.exclude.map(globToRegExp);
  // Asked for every event (twice): the verdict of a table is kept (the settings it depends on are fixed here).
  // Per schema, then name: no joined string per call.
  const known = new Map<string, Map<string, FilterVerdict>>();
  let size = 0;
  return (schema, name) => {
    let names = known.get(schema);
    let v = names?.get(name);
    if (v === undefined) {
      v = verdict(schema, name);
      if (size >= 10_000) { known.clear(); size = 0; names = undefined; }
      if (!names) { names = new Map(); known.set(schema, names); }
      names.set(name, v);
      size++;
    }
    return v;
  };
  function verdict(schema: string, name: string): FilterVerdict {
    const n = name.toLowerCase();
    const id = `${schema}.${name}`.toLowerCase();
    if (INTERNAL_TABLES.has(n)) return 'internal';
    if (tables.honourBlockedList && BLOCKED_TABLES.has(n)) return 'blocked';
    const hit = (res: RegExp[]) => res.some((r) => r.test(id) || r.test(n));
    if (inc.length && !hit(inc)) return 'excluded';
    if (hit(exc)) return 'excluded';
    return 'mirror';
  }
}
