import { createHash } from 'node:crypto';
import { typeToString } from './table-model.ts';
import type { TableDef } from './table-model.ts';

/**
 * The schema hash kept per table in `_ReplicationState`: columns (name, type, nullability) in order and
 * the primary key. Defaults and source type spellings are left out: they never force a rebuild.
 */
export function tableHash(def: TableDef): string {
  const canon = def.columns.map((c) => `${c.name}:${typeToString(c.type)}:${c.nullable ? 'n' : 'nn'}`).join('|') + '#' + def.primaryKey.join(',');
  return createHash('sha256').update(canon).digest('hex').slice(0, 16);
}
