import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PostgresDialect, quotePgIdent } from '../../main/engine/replica/postgres/dialect.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { MirrorError } from '../../main/engine/errors.ts';

const d = new PostgresDialect({ tablePrefix: '' });
const p = new PostgresDialect({ tablePrefix: 'mirror' });
const T: TableDef = {
  schema: 'crm7', name: 'Contact', primaryKey: ['tenant', 'id'],
  columns: [
    { name: 'tenant', type: { kind: 'int', bits: 32 }, nullable: false },
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 50, fixed: false }, nullable: false, defaultValue: "it's" },
    { name: 'active', type: { kind: 'bool' }, nullable: true, defaultValue: false },
    { name: 'amount', type: { kind: 'decimal', precision: 18, scale: 2 }, nullable: true, defaultValue: '0.00' },
  ],
};

describe('postgres dialect', () => {
  test('quoting: doubles quotes, keeps case and unicode, refuses > 63 bytes', () => {
    assert.equal(quotePgIdent('Contact'), '"Contact"');
    assert.equal(quotePgIdent('a"b'), '"a""b"');
    assert.equal(quotePgIdent('x]; drop table y; --'), '"x]; drop table y; --"');
    assert.equal(quotePgIdent('é'.repeat(31) + 'x'), `"${'é'.repeat(31)}x"`); // 63 bytes
    assert.throws(() => quotePgIdent('é'.repeat(32)), (e: unknown) => e instanceof MirrorError && e.code === 'SCHEMA_CONFLICT' && /64 bytes/.test(e.message));
    assert.throws(() => quotePgIdent('a\u0000'), MirrorError);
  });

  test('destination schema: tablePrefix or the source schema; state and sweep sets in public', () => {
    assert.equal(d.qualify(T), '"crm7"."Contact"');
    assert.equal(p.qualify(T), '"mirror"."Contact"');
    assert.equal(d.stateTable(), '"public"."_ReplicationState"');
    assert.equal(d.seenTable(T), '"public"."_ReplicationSeen_89ed8d35abe8"'); // sha256 of the exact id crm7.Contact (docs/naming.md)
  });

  test('column types', () => {
    const cases: [Parameters<PostgresDialect['columnType']>[0], string][] = [
      [{ kind: 'bool' }, 'boolean'], [{ kind: 'int', bits: 8 }, 'smallint'], [{ kind: 'int', bits: 16 }, 'smallint'],
      [{ kind: 'int', bits: 32 }, 'integer'], [{ kind: 'int', bits: 64 }, 'bigint'],
      [{ kind: 'float', bits: 32 }, 'real'], [{ kind: 'float', bits: 64 }, 'double precision'],
      [{ kind: 'decimal', precision: 38, scale: 10 }, 'numeric(38,10)'], [{ kind: 'decimal', precision: 0, scale: 0 }, 'numeric'],
      [{ kind: 'string', length: 20, fixed: true }, 'varchar(20)'], [{ kind: 'string', length: null, fixed: false }, 'text'],
      [{ kind: 'bytes', length: 16, fixed: true }, 'bytea'], [{ kind: 'date' }, 'date'],
      [{ kind: 'time', precision: 6 }, 'time(6)'], [{ kind: 'timestamp', precision: 7 }, 'text'],
      [{ kind: 'timestamptz', precision: 3 }, 'timestamptz(3)'], [{ kind: 'uuid' }, 'uuid'], [{ kind: 'json' }, 'jsonb'],
    ];
    for (const [t, s] of cases) assert.equal(d.columnType(t), s, JSON.stringify(t));
  });

  test('createTable: schema, NOT NULL, literal defaults, primary key', () => {
    assert.deepStrictEqual(d.createTable(T), [
      'CREATE SCHEMA IF NOT EXISTS "crm7"',
      `CREATE TABLE IF NOT EXISTS "crm7"."Contact" ("tenant" integer NOT NULL, "id" bigint NOT NULL, "name" varchar(50) DEFAULT 'it''s' NOT NULL, ` +
      `"active" boolean DEFAULT false, "amount" numeric(18,2) DEFAULT '0.00', PRIMARY KEY ("tenant", "id"))`,
    ]);
  });

  test('alterTable: one ALTER TABLE with every action', () => {
    const add = { name: 'email', type: { kind: 'string', length: 100, fixed: false } as const, nullable: true };
    const wider = { ...T.columns[2]!, type: { kind: 'string', length: 200, fixed: false } as const, nullable: true };
    assert.deepStrictEqual(d.alterTable({ table: T, addColumns: [add], widenColumns: [wider], relaxNullability: [wider] }), [
      'ALTER TABLE "crm7"."Contact" ADD COLUMN IF NOT EXISTS "email" varchar(100), ALTER COLUMN "name" TYPE varchar(200), ALTER COLUMN "name" DROP NOT NULL',
    ]);
    assert.deepStrictEqual(d.alterTable({ table: T, addColumns: [], widenColumns: [], relaxNullability: [] }), []);
  });

  test('bulk path: temp stage, COPY, INSERT … SELECT … ON CONFLICT, set-based deletes', () => {
    assert.equal(d.createStage('_tm_stage_1', T, ['tenant', 'id', 'name']),
      'CREATE TEMP TABLE IF NOT EXISTS "_tm_stage_1" ("tenant" integer, "id" bigint, "name" varchar(50)) ON COMMIT DELETE ROWS');
    assert.equal(d.copyInto('_tm_stage_1', ['tenant', 'id', 'name']), 'COPY "_tm_stage_1" ("tenant", "id", "name") FROM STDIN');
    assert.equal(d.upsertFromStage(T, ['tenant', 'id', 'name'], '_tm_stage_1'),
      'INSERT INTO "crm7"."Contact" ("tenant", "id", "name") SELECT "tenant", "id", "name" FROM "_tm_stage_1" ON CONFLICT ("tenant", "id") DO UPDATE SET "name" = EXCLUDED."name"');
    assert.equal(d.deleteByKeyArrays(T),
      'DELETE FROM "crm7"."Contact" AS t USING unnest($1::integer[], $2::bigint[]) AS s ("tenant", "id") WHERE t."tenant" = s."tenant" AND t."id" = s."id"');
    assert.equal(d.markSeenFromStage(T, '_tm_stage_1'),
      'INSERT INTO "public"."_ReplicationSeen_89ed8d35abe8" ("tenant", "id") SELECT "tenant", "id" FROM "_tm_stage_1" ON CONFLICT DO NOTHING');
  });

  test('small path: multi-row parameterised statements', () => {
    assert.equal(d.upsertValues(T, ['tenant', 'id'], 2), 'INSERT INTO "crm7"."Contact" ("tenant", "id") VALUES ($1, $2), ($3, $4) ON CONFLICT ("tenant", "id") DO NOTHING');
    assert.equal(d.upsertState(1),
      `INSERT INTO "public"."_ReplicationState" ("Id", "Kind", "Value", "UpdatedUtc") VALUES ($1, $2, $3, now() AT TIME ZONE 'utc') ` +
      'ON CONFLICT ("Id") DO UPDATE SET "Kind" = EXCLUDED."Kind", "Value" = EXCLUDED."Value", "UpdatedUtc" = EXCLUDED."UpdatedUtc"');
  });

  test('sweep and drop', () => {
    assert.equal(d.sweepDelete(T),
      'DELETE FROM "crm7"."Contact" AS t WHERE NOT EXISTS (SELECT 1 FROM "public"."_ReplicationSeen_89ed8d35abe8" AS s WHERE s."tenant" = t."tenant" AND s."id" = t."id")');
    assert.deepStrictEqual(p.dropTable(T), ['DROP TABLE IF EXISTS "mirror"."Contact"', 'DROP TABLE IF EXISTS "public"."_ReplicationSeen_89ed8d35abe8"']);
    assert.deepStrictEqual(d.createStateTable(), [
      `SELECT pg_advisory_xact_lock(hashtext('tenant-mirror: _ReplicationState'))`,
      `CREATE TABLE IF NOT EXISTS "public"."_ReplicationState" ("Id" varchar(200) NOT NULL PRIMARY KEY, "Kind" varchar(32) NOT NULL, "Value" text NOT NULL, "UpdatedUtc" timestamp(3) NOT NULL DEFAULT (now() AT TIME ZONE 'utc'))`,
    ]);
  });
});
