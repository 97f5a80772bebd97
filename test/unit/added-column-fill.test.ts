/**
 * An ADD COLUMN whose value in existing rows only the source knows is added in place and every row refilled
 * by a resync (a NOT NULL one without a default the replica can give rebuilds the table). The DDL and the
 * `defaultValueExpression`s are as Debezium 3.2's MariaDB connector wrote them to the schema history on
 * this stack (2026-12-03, `ALTER TABLE … ADD COLUMN` with each kind of default): CURRENT_TIMESTAMP comes as
 * "1970-01-01 00:00:00", string and date literals unquoted, (UUID()) and (CURRENT_DATE) as null.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { addedFillUnknown, columnClauses } from '../../main/engine/schema/added-column-fill.ts';
import { planSchemaChange } from '../../main/engine/schema/compat.ts';
import { historyToChanges } from '../../main/engine/schema/from-history.ts';

const columnClause = (ddl: string, column: string): string | null => columnClauses(ddl, column)[0] ?? null;
const DDL = "ALTER TABLE `crm_t7866640a`.`person` ADD COLUMN c1 TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP, ADD COLUMN c2 DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6), ADD COLUMN c3 VARCHAR(36) NULL DEFAULT (UUID()), ADD COLUMN c4 INT NOT NULL DEFAULT 7, ADD COLUMN c5 VARCHAR(10) NULL DEFAULT 'abc', ADD COLUMN c6 DATETIME NULL DEFAULT '2020-01-02 03:04:05', ADD COLUMN c7 DECIMAL(10,2) NULL DEFAULT 1.50, ADD COLUMN c8 VARCHAR(10) NULL DEFAULT 'it''s', ADD COLUMN c9 INT NULL, ADD COLUMN c10 DATE NULL DEFAULT (CURRENT_DATE), ADD COLUMN c11 TIMESTAMP NULL DEFAULT NULL";
const RECORDED: Array<[string, string, boolean, string | null, boolean]> = [
  // name, typeName, optional, defaultValueExpression, value in existing rows known only to the source
  ['c1', 'TIMESTAMP', true, '1970-01-01 00:00:00', true],
  ['c2', 'DATETIME', false, '1970-01-01 00:00:00', true],
  ['c3', 'VARCHAR', true, null, true],
  ['c4', 'INT', false, '7', false],
  ['c5', 'VARCHAR', true, 'abc', true],
  ['c6', 'DATETIME', true, '2020-01-02 03:04:05', true],
  ['c7', 'DECIMAL', true, '1.50', false],
  ['c8', 'VARCHAR', true, "it''s", true],
  ['c9', 'INT', true, null, false],
  ['c10', 'DATE', true, null, true],
  ['c11', 'TIMESTAMP', true, null, false],
];

it('each added column of a recorded ALTER: filled in place only for NULL and number defaults', () => {
  for (const [name, , , dve, unknown] of RECORDED) assert.equal(addedFillUnknown(dve, DDL, name), unknown, name);
});

it('the clause of a column is found by its own name, quoted or not, and ends at its comma', () => {
  assert.equal(columnClause(DDL, 'c1')?.trim(), 'TIMESTAMP NULL DEFAULT CURRENT_TIMESTAMP');
  assert.equal(columnClause(DDL, 'c3')?.trim(), 'VARCHAR(36) NULL DEFAULT (UUID())');
  assert.equal(columnClause(DDL, 'c7')?.trim(), 'DECIMAL(10,2) NULL DEFAULT 1.50');
  assert.equal(columnClause(DDL, 'c8')?.trim(), "VARCHAR(10) NULL DEFAULT 'it''s'");
  assert.equal(columnClause(DDL, 'c11')?.trim(), 'TIMESTAMP NULL DEFAULT NULL');
  assert.equal(columnClause(DDL, 'c'), null);
  assert.equal(columnClause('ALTER TABLE `t` ADD COLUMN `my col` INT DEFAULT (1 + 1) AFTER `x`', 'my col')?.trim(), 'INT DEFAULT (1 + 1) AFTER `x`');
  assert.equal(columnClause('ALTER TABLE t ADD COLUMN a INT AFTER b, ADD COLUMN b2 INT', 'b'), null, "`AFTER b` is not b's clause");
  assert.equal(columnClause('ALTER TABLE t ADD (a INT DEFAULT 1, b VARCHAR(3) DEFAULT \'x\')', 'b')?.trim(), "VARCHAR(3) DEFAULT 'x'");
  assert.equal(addedFillUnknown(null, 'ALTER TABLE t ADD COLUMN g INT AS (a * 2) VIRTUAL', 'g'), true, 'generated');
  assert.equal(addedFillUnknown(null, 'ALTER TABLE t ADD INDEX i (c1 DESC), ADD COLUMN c1 DATETIME NULL DEFAULT NOW()', 'c1'), true, 'an index naming it first');
  assert.equal(addedFillUnknown('(getdate())', null, 'd'), true, 'SQL Server: no DDL, an expression');
  assert.equal(addedFillUnknown(null, null, 'd'), false);
});

it('the history marks them, and adding one is an ALTER in place with a refill of every row, not a rebuild', () => {
  const col = (name: string, typeName: string, optional: boolean, dve: string | null) => ({ name, typeName, optional, defaultValueExpression: dve, length: null, scale: null });
  const base = [col('person_id', 'INT', false, null)];
  const before = historyToChanges([{ type: 'CREATE', id: '"crm_x"."person"', table: { primaryKeyColumnNames: ['person_id'], columns: base } }], 'mysql')[0]!.def!;
  for (const [name, type, optional, dve, unknown] of RECORDED) {
    const after = historyToChanges([{ type: 'ALTER', id: '"crm_x"."person"', table: { primaryKeyColumnNames: ['person_id'], columns: [...base, col(name, type, optional, dve)] } }], 'mysql', DDL)[0]!.def!;
    const plan = planSchemaChange(before, after);
    // NOT NULL with a default the replica cannot give (c2: CURRENT_TIMESTAMP(6)) cannot be added in place at all.
    if (unknown && !optional) { assert.equal(plan.kind, 'recreate', name); continue; }
    assert.equal(plan.kind, 'alter', name);
    assert.deepEqual(plan.kind === 'alter' ? plan.refill.length : -1, unknown ? 1 : 0, `${name}: refilled by a resync`);
  }
});
