/**
 * The schema history in order: every definition each table had, by its position in
 * `<ctx>-schemahistory`. A table remembers the position of the definition it has (`schemaPos`), so an
 * event's schema can be placed: a later entry with that hash is a change to apply (every step in between
 * is looked at: one incompatible step rebuilds the table), an earlier one is an old event to apply as it
 * fits, or to skip when a rebuild's resnapshot supersedes it.
 */
import { planSchemaChange } from './compat.ts';
import { comparePositions } from './source-position.ts';
import type { SourcePos } from './source-position.ts';
import { tableHash } from './table-hash.ts';
import type { TableDef } from './table-model.ts';

export interface SchemaLogEntry {
  /** Offset in the (single-partition) schema-history topic. */
  pos: bigint;
  hash: string | null;
  /** null: the table was dropped. */
  def: TableDef | null;
  collection: string;
  /** Written by a snapshot (`position.snapshot`): the connector restating the schema, not a change at the source. */
  snapshot?: boolean;
  /** Where the change happened in the source's log (source-position.ts), when the record says. */
  src?: SourcePos | null;
  /** The table came by a RENAME into this name: its rows were moved, with no change event. */
  renamed?: boolean;
}

export type SchemaLog = Map<string, SchemaLogEntry[]>;

export function addEntry(log: SchemaLog, id: string, pos: bigint, def: TableDef | null, collection: string, snapshot = false, src: SourcePos | null = null, renamed = false): void {
  const list = log.get(id) ?? [];
  list.push({ pos, hash: def ? tableHash(def) : null, def, collection, snapshot, src, ...(renamed ? { renamed } : {}) });
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
  | { kind: 'change'; def: TableDef; incompatible: string[]; refill: string[] };

export function walkChain(current: TableDef, entries: SchemaLogEntry[], from: bigint, to: bigint | null): ChainPlan {
  const steps = entries.filter((e) => e.pos > from && (to === null || e.pos <= to));
  if (!steps.length) return { kind: 'none' };
  let prev: TableDef | null = current;
  const incompatible: string[] = [];
  const refill: string[] = [];
  for (const e of steps) {
    // A snapshot restates every table (DROP TABLE IF EXISTS + CREATE TABLE): not a change of its rows.
    if (!e.def) { if (!e.snapshot) prev = null; continue; }
    if (!prev) { incompatible.push('dropped and created again'); prev = e.def; continue; }
    const p = planSchemaChange(prev, e.def);
    if (p.kind === 'recreate') incompatible.push(...p.reasons);
    else if (p.kind === 'alter') refill.push(...p.refill);
    prev = e.def;
  }
  if (!prev) return { kind: 'dropped' };
  return { kind: 'change', def: prev, incompatible, refill };
}

/**
 * The placement of an event whose schema hash is not the table's. `byPosition`: told by where the event
 * was written in the source's log; else by its schema hash alone, which is ambiguous when a definition
 * comes back (a column added, then dropped: the first and the third definition hash alike).
 */
export type EventPlacement =
  | { kind: 'newer'; pos: bigint; byPosition: boolean }
  | { kind: 'older'; fits: boolean; byPosition: boolean }
  | { kind: 'unknown' };

/**
 * Why the change stream from the topic's start cannot rebuild the table's rows by itself, or null when it
 * can: its current incarnation began in the stream by a RENAME into its name (the rows came with no
 * event) or after an earlier incarnation was dropped (the earlier one's rows were never deleted by event:
 * a DROP TABLE or a RENAME away sends none); or a change since its incarnation began that its older rows
 * do not fit (a type changed, a column dropped: those events are skipped) or fit without the value the
 * source gave them (a column added with a default). A fresh replica replaying the topic fills such a
 * table by a resync, the events before the incarnation superseded.
 */
export function streamCannotRebuild(entries: SchemaLogEntry[]): string | null {
  const start = incarnationOf(entries);
  if (!start?.def) return null;
  if (!start.snapshot && start.renamed) return 'renamed into its name since the snapshot';
  if (!start.snapshot && entries.some((e) => e.pos < start.pos && !e.snapshot)) return 'dropped and created again since the snapshot';
  const chain = walkChain(start.def, entries, start.pos, null);
  if (chain.kind === 'change' && chain.incompatible.length) return `changed since the snapshot in a way its older rows do not fit (${chain.incompatible.join('; ')})`;
  if (chain.kind === 'change' && chain.refill.length) return `changed since the snapshot: ${chain.refill.join('; ')}`;
  return null;
}

/** The entry in force where an event was written: the last one at or before its source position. */
export function entryAt(entries: SchemaLogEntry[], src: SourcePos): SchemaLogEntry | undefined {
  let here: SchemaLogEntry | undefined;
  for (const e of entries) {
    const c = comparePositions(e.src, src);
    if (c !== null && c <= 0) here = e;
  }
  return here;
}

/**
 * The entry where the table's current incarnation began: its first definition after its last real drop
 * (a snapshot's DROP IF EXISTS + CREATE restates, it does not drop).
 */
export function incarnationOf(entries: SchemaLogEntry[]): SchemaLogEntry | undefined {
  let start: SchemaLogEntry | undefined;
  for (const e of entries) {
    if (!e.def) { if (!e.snapshot) start = undefined; } else start ??= e;
  }
  return start;
}

/** The history entry of an event's schema: the one in force where it was written, else the last with its hash. */
export function entryOfEvent(entries: SchemaLogEntry[], hash: string, src: SourcePos | null): SchemaLogEntry | undefined {
  const here = src ? entryAt(entries, src) : undefined;
  return here?.hash === hash ? here : entries.filter((e) => e.hash === hash).pop();
}

export function placeEvent(entries: SchemaLogEntry[], current: TableDef, at: bigint, hash: string, eventDef: TableDef, src: SourcePos | null = null): EventPlacement {
  const older = (byPosition: boolean): EventPlacement => ({ kind: 'older', fits: planSchemaChange(eventDef, current).kind !== 'recreate', byPosition });
  const here = src ? entryAt(entries, src) : undefined;
  if (here && here.hash === hash) return here.pos > at ? { kind: 'newer', pos: here.pos, byPosition: true } : older(true);
  const newer = entries.find((e) => e.pos > at && e.hash === hash);
  if (newer) return { kind: 'newer', pos: newer.pos, byPosition: false };
  if (entries.some((e) => e.pos <= at && e.hash === hash)) return older(false);
  return { kind: 'unknown' };
}

const ident = String.raw`(?:\`(?:[^\`]|\`\`)+\`|[\w$]+)`;
const qualified = String.raw`${ident}(?:\s*\.\s*${ident})?`;
const unquote = (s: string): string[] => s.split(/\s*\.\s*(?=(?:[^`]*`[^`]*`)*[^`]*$)/).map((p) => p.trim().replace(/^`|`$/g, '').replace(/``/g, '`'));

/**
 * Table renames in a MySQL/MariaDB DDL statement (`RENAME TABLE a TO b, c TO d`, `ALTER TABLE a RENAME
 * [TO|AS] b`), as [db, table] pairs; the statement's database fills in unqualified names.
 */
export function renamesIn(ddl: string | undefined, database: string | undefined): Array<{ from: string[]; to: string[] }> {
  if (!ddl) return [];
  const out: Array<{ from: string[]; to: string[] }> = [];
  const full = (parts: string[]): string[] => (parts.length === 1 ? [database ?? '', parts[0]!] : parts);
  const rename = new RegExp(String.raw`^\s*RENAME\s+TABLES?\s+(.*)$`, 'is').exec(ddl);
  if (rename) {
    const pair = new RegExp(String.raw`(${qualified})\s+TO\s+(${qualified})`, 'gi');
    for (let m = pair.exec(rename[1]!); m; m = pair.exec(rename[1]!)) out.push({ from: full(unquote(m[1]!)), to: full(unquote(m[2]!)) });
  }
  const alter = new RegExp(String.raw`^\s*ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+(${qualified})\s+(?:.*?[\s,])?RENAME\s+(?:TO\s+|AS\s+)?(${qualified})\s*(?:,|;|$)`, 'is').exec(ddl);
  if (alter && !/\bRENAME\s+(?:COLUMN|INDEX|KEY)\b/i.test(ddl)) out.push({ from: full(unquote(alter[1]!)), to: full(unquote(alter[2]!)) });
  return out;
}
