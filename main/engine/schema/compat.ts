/**
 * Folder main/engine/schema/: table model, schema history, source types, compatibility, table filter.
 *
 * Old vs new table definition → what to do: nothing, ALTER in place (added nullable/defaulted columns,
 * widened types, relaxed NOT NULL; with a resync in place when an added column's value in existing rows
 * is the source's alone), or drop + recreate + resnapshot (anything else).
 */
import type { AlterPlan } from '../replica/dialect.ts';
import type { ColumnDef, ColumnType, TableDef } from './table-model.ts';

export type SchemaPlan =
  | { kind: 'same' }
  /**
   * `refill`: columns added whose value in existing rows only the source knows (added-column-fill.ts):
   * altered in place, then every row refilled by a resync (the table keeps its rows meanwhile).
   */
  | { kind: 'alter'; plan: AlterPlan; refill: string[] }
  | { kind: 'recreate'; reasons: string[] };

const lenOk = (a: number | null, b: number | null): boolean => b === null || (a !== null && b >= a);

/** Whether a column of type `to` can hold every value of type `from` (same kind, not narrower). */
export function widens(from: ColumnType, to: ColumnType): boolean {
  // A time of day fits a duration (MySQL TIME, ±838 h): replicas made before TIME was mapped to a duration widen in place.
  if (from.kind === 'time' && to.kind === 'duration') return to.precision >= from.precision;
  if (from.kind !== to.kind) return from.kind === 'int' && to.kind === 'decimal' && to.scale === 0 && to.precision >= 20;
  switch (from.kind) {
    case 'int': return to.kind === 'int' && to.bits >= from.bits;
    case 'float': return to.kind === 'float' && to.bits >= from.bits;
    case 'decimal': return to.kind === 'decimal' && to.scale >= from.scale && to.precision - to.scale >= from.precision - from.scale;
    case 'string': case 'bytes': return (to.kind === 'string' || to.kind === 'bytes') && lenOk(from.length, to.length) && (!to.fixed || from.fixed);
    case 'time': case 'duration': case 'timestamp': case 'timestamptz': return to.kind === from.kind && to.precision >= from.precision;
    default: return true;
  }
}

const sameType = (a: ColumnType, b: ColumnType): boolean => JSON.stringify(a) === JSON.stringify(b);

export function planSchemaChange(oldDef: TableDef, newDef: TableDef): SchemaPlan {
  const reasons: string[] = [];
  if (oldDef.primaryKey.join(',') !== newDef.primaryKey.join(',')) reasons.push(`primary key changed (${oldDef.primaryKey.join(',')} → ${newDef.primaryKey.join(',')})`);
  const newByName = new Map(newDef.columns.map((c) => [c.name, c]));
  const oldNames = new Set(oldDef.columns.map((c) => c.name));
  const widen: ColumnDef[] = [];
  const relax: ColumnDef[] = [];
  for (const oc of oldDef.columns) {
    const nc = newByName.get(oc.name);
    if (!nc) { reasons.push(`column ${oc.name} dropped`); continue; }
    if (!sameType(oc.type, nc.type)) {
      if (widens(oc.type, nc.type)) widen.push(nc); else reasons.push(`column ${oc.name} changed type incompatibly`);
    }
    if (oc.nullable && !nc.nullable) reasons.push(`column ${oc.name} became NOT NULL`);
    else if (!oc.nullable && nc.nullable) relax.push(nc);
  }
  const add = newDef.columns.filter((c) => !oldNames.has(c.name));
  const refill: string[] = [];
  for (const c of add) {
    if (!c.nullable && c.defaultValue === undefined) reasons.push(`column ${c.name} added as NOT NULL without a default`);
    else if (c.fillUnknown) refill.push(`column ${c.name} added with a value in existing rows that only the source has (its default or expression)`);
  }
  // Column order is not compared: rows are written by column name, so an added column may sit anywhere.
  if (reasons.length) return { kind: 'recreate', reasons };
  if (!add.length && !widen.length && !relax.length) return { kind: 'same' };
  return { kind: 'alter', plan: { table: newDef, addColumns: add, widenColumns: widen, relaxNullability: relax }, refill };
}
