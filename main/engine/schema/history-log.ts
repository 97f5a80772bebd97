/**
 * The schema history in order: every definition each table had, by its position in
 * `<ctx>-schemahistory`. A table remembers the position of the definition it has (`schemaPos`), so an
 * event's schema can be placed: a later entry with that hash is a change to apply (every step in between
 * is looked at: one incompatible step rebuilds the table), an earlier one is an old event to apply as it
 * fits, or to skip when a rebuild's resnapshot supersedes it.
 */
import { planSchemaChange } from './compat.ts';
import { tableHash } from './table-hash.ts';
import type { TableDef } from './table-model.ts';

export interface SchemaLogEntry {
  /** Offset in the (single-partition) schema-history topic. */
  pos: bigint;
  hash: string | null;
  /** null: the table was dropped. */
  def: TableDef | null;
  collection: string;
}

export type SchemaLog = Map<string, SchemaLogEntry[]>;

export function addEntry(log: SchemaLog, id: string, pos: bigint, def: TableDef | null, collection: string): void {
  const list = log.get(id) ?? [];
  list.push({ pos, hash: def ? tableHash(def) : null, def, collection });
  log.set(id, list);
}

/** Where a table stands in the log: its recorded position, else the last entry with its hash up to `processed`. */
export function positionOf(entries: SchemaLogEntry[], hash: string, recorded: string | null | undefined, processed: bigint): bigint {
  if (recorded !== null && recorded !== undefined) return BigInt(recorded);
  let pos = -1n;
  for (const e of entries) if (e.hash === hash && e.pos <= processed) pos = e.pos;
  return pos >= 0n ? pos : processed;
}

/** What the entries after `from` up to (and including) `to` amount to. */
export type ChainPlan =
  | { kind: 'none' }
  | { kind: 'dropped' }
  | { kind: 'change'; def: TableDef; incompatible: string[] };

export function walkChain(current: TableDef, entries: SchemaLogEntry[], from: bigint, to: bigint | null): ChainPlan {
  const steps = entries.filter((e) => e.pos > from && (to === null || e.pos <= to));
  if (!steps.length) return { kind: 'none' };
  let prev: TableDef | null = current;
  const incompatible: string[] = [];
  for (const e of steps) {
    if (!e.def) { prev = null; continue; }
    if (!prev) { incompatible.push('dropped and created again'); prev = e.def; continue; }
    const p = planSchemaChange(prev, e.def);
    if (p.kind === 'recreate') incompatible.push(...p.reasons);
    prev = e.def;
  }
  if (!prev) return { kind: 'dropped' };
  return { kind: 'change', def: prev, incompatible };
}

/** The placement of an event whose schema hash is not the table's. */
export type EventPlacement =
  | { kind: 'newer'; pos: bigint }
  | { kind: 'older'; fits: boolean }
  | { kind: 'unknown' };

export function placeEvent(entries: SchemaLogEntry[], current: TableDef, at: bigint, hash: string, eventDef: TableDef): EventPlacement {
  const newer = entries.find((e) => e.pos > at && e.hash === hash);
  if (newer) return { kind: 'newer', pos: newer.pos };
  if (entries.some((e) => e.pos <= at && e.hash === hash)) {
    const p = planSchemaChange(eventDef, current);
    return { kind: 'older', fits: p.kind !== 'recreate' };
  }
  return { kind: 'unknown' };
}
