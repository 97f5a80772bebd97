/**
 * Schema changes are taken in the order of the schema-history topic: an event's schema is placed against
 * the table's own position (newer → apply every step between; older → apply as the table holds it, or
 * skip when a rebuild supersedes it). Table of rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addEntry, placeEvent, positionOf, renamesIn, streamCannotRebuild, walkChain } from '../../main/engine/schema/history-log.ts';
import type { SchemaLog } from '../../main/engine/schema/history-log.ts';
import { tableHash } from '../../main/engine/schema/table-hash.ts';
import type { ColumnDef, TableDef } from '../../main/engine/schema/table-model.ts';

const int: ColumnDef = { name: 'id', type: { kind: 'int', bits: 32 }, nullable: false };
const col = (name: string, kind: 'int' | 'string' = 'string'): ColumnDef => ({ name, type: kind === 'int' ? { kind: 'int', bits: 32 } : { kind: 'string', length: 40, fixed: false }, nullable: true });
const def = (...cols: ColumnDef[]): TableDef => ({ schema: 'crm', name: 't', columns: [int, ...cols], primaryKey: ['id'] });

const v0 = def(col('n', 'int'));
const vA = def(col('n', 'int'), col('a'));
const vAB = def(col('n', 'int'), col('a'), col('b'));
const vStr = def(col('n', 'string'));

function log(...defs: Array<TableDef | null>): SchemaLog {
  const l: SchemaLog = new Map();
  defs.forEach((d, i) => addEntry(l, 'crm.t', BigInt(i * 10), d, 'crm.t'));
  return l;
}

describe('schema history in order', () => {
  it('two ADD COLUMNs while stopped: the check moves the table to the newest, older events fit', () => {
    const entries = log(v0, vA, vAB).get('crm.t')!;
    const at = positionOf(entries, tableHash(v0), '0', 0n);
    const chain = walkChain(v0, entries, at, null);
    assert.equal(chain.kind, 'change');
    assert.deepEqual(chain.kind === 'change' && chain.def.columns.map((c) => c.name), ['id', 'n', 'a', 'b']);
    assert.deepEqual(chain.kind === 'change' && chain.incompatible, []);
    // The table is now at 20 (vAB); events of v0 and vA come later in the stream.
    assert.deepEqual(placeEvent(entries, vAB, 20n, tableHash(vA), vA), { kind: 'older', fits: true, byPosition: false });
    assert.deepEqual(placeEvent(entries, vAB, 20n, tableHash(v0), v0), { kind: 'older', fits: true, byPosition: false });
  });

  it('a type change and its revert: the chain is incompatible even though the end equals the start', () => {
    const entries = log(v0, vStr, v0).get('crm.t')!;
    const chain = walkChain(v0, entries, 0n, null);
    assert.equal(chain.kind, 'change');
    assert.ok(chain.kind === 'change' && chain.incompatible.length > 0, 'the type change is seen');
    assert.equal(chain.kind === 'change' && tableHash(chain.def), tableHash(v0));
    // After the rebuild at 20: events of the changed type are older and do not fit (skipped, resnapshot follows).
    assert.deepEqual(placeEvent(entries, v0, 20n, tableHash(vStr), vStr), { kind: 'older', fits: false, byPosition: false });
  });

  it('while running: the revert is newer than the table, not an older event', () => {
    const entries = log(v0, vStr, v0).get('crm.t')!;
    assert.deepEqual(placeEvent(entries, vStr, 10n, tableHash(v0), v0), { kind: 'newer', pos: 20n, byPosition: false });
    assert.deepEqual(placeEvent(entries, v0, 0n, tableHash(vStr), vStr), { kind: 'newer', pos: 10n, byPosition: false });
  });

  it('drop, and drop + create again', () => {
    assert.deepEqual(walkChain(v0, log(v0, null).get('crm.t')!, 0n, null), { kind: 'dropped' });
    const again = walkChain(v0, log(v0, null, vA).get('crm.t')!, 0n, null);
    assert.ok(again.kind === 'change' && again.incompatible.includes('dropped and created again'));
  });

  it('an unknown schema is unknown; a table without a recorded position stands at its last processed entry', () => {
    const entries = log(v0, vA).get('crm.t')!;
    assert.deepEqual(placeEvent(entries, v0, 0n, 'nope', vAB), { kind: 'unknown' });
    assert.equal(positionOf(entries, tableHash(vA), null, 100n), 10n);
    assert.equal(positionOf(entries, tableHash(v0), null, 5n), 0n);
    assert.equal(positionOf(entries, 'nope', null, 5n), 5n);
  });

  it('a snapshot restating the schema (DROP IF EXISTS + CREATE) is not a change; a real drop + create is', () => {
    const l: SchemaLog = new Map();
    addEntry(l, 'crm.t', 0n, v0, 'crm.t');
    addEntry(l, 'crm.t', 10n, null, 'crm.t', true);
    addEntry(l, 'crm.t', 11n, v0, 'crm.t', true);
    const chain = walkChain(v0, l.get('crm.t')!, 0n, null);
    assert.ok(chain.kind === 'change' && chain.incompatible.length === 0 && tableHash(chain.def) === tableHash(v0));
    addEntry(l, 'crm.t', 20n, null, 'crm.t');
    addEntry(l, 'crm.t', 21n, v0, 'crm.t');
    const again = walkChain(v0, l.get('crm.t')!, 0n, null);
    assert.ok(again.kind === 'change' && again.incompatible.includes('dropped and created again'));
  });

  it('renames are read from the DDL (RENAME TABLE, ALTER TABLE … RENAME), not column renames', () => {
    assert.deepEqual(renamesIn('RENAME TABLE `sale` TO `sale_archive`', 'crm'), [{ from: ['crm', 'sale'], to: ['crm', 'sale_archive'] }]);
    assert.deepEqual(renamesIn('rename table crm.a to crm.b, c TO `d e`', 'x'), [{ from: ['crm', 'a'], to: ['crm', 'b'] }, { from: ['x', 'c'], to: ['x', 'd e'] }]);
    assert.deepEqual(renamesIn('ALTER TABLE `sale` RENAME TO `s2`', 'crm'), [{ from: ['crm', 'sale'], to: ['crm', 's2'] }]);
    assert.deepEqual(renamesIn('ALTER TABLE sale RENAME COLUMN a TO b', 'crm'), []);
    assert.deepEqual(renamesIn('CREATE TABLE x (a int)', 'crm'), []);
  });

  it('a fresh replica replaying the topic: the stream rebuilds a table created in it, not one renamed into its name or created again', () => {
    const entries = (xs: Array<[TableDef | null, { snapshot?: boolean; renamed?: boolean }?]>) => {
      const l: SchemaLog = new Map();
      xs.forEach(([d, o], i) => addEntry(l, 'crm.t', BigInt(i * 10), d, 'crm.t', o?.snapshot ?? false, null, o?.renamed ?? false));
      return l.get('crm.t')!;
    };
    const snap = [[null, { snapshot: true }], [v0, { snapshot: true }]] as Array<[TableDef | null, { snapshot?: boolean }]>;
    assert.equal(streamCannotRebuild(entries([...snap])), null, 'in the snapshot, unchanged');
    assert.equal(streamCannotRebuild(entries([...snap, [vA]])), null, 'in the snapshot, a nullable column added since: the older rows fit, NULL as at the source');
    assert.match(streamCannotRebuild(entries([...snap, [vStr]])) ?? '', /older rows do not fit/, 'a type changed since: the older rows are skipped');
    assert.match(streamCannotRebuild(entries([[vAB], [v0]])) ?? '', /older rows do not fit/, 'columns dropped since');
    assert.equal(streamCannotRebuild(entries([[v0]])), null, 'created in the stream: its rows are all in it');
    assert.match(streamCannotRebuild(entries([[v0, { renamed: true }]])) ?? '', /renamed into its name/, 'its rows came with no event');
    assert.match(streamCannotRebuild(entries([[v0], [null], [v0]])) ?? '', /dropped and created again/, 'the first one\'s rows were never deleted by event');
    assert.match(streamCannotRebuild(entries([...snap, [null], [v0]])) ?? '', /dropped and created again/, 'a snapshot table dropped and created again');
    assert.match(streamCannotRebuild(entries([[v0], [null], [v0], [null, { snapshot: true }], [v0, { snapshot: true }]])) ?? '', /dropped and created again/, 'a snapshot restating it does not start a new incarnation');
    assert.equal(streamCannotRebuild(entries([[v0], [null]])), null, 'dropped: nothing to fill');
  });
});
