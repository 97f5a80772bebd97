/**
 * The replica's statement sequence against a scripted stand-in for mssql's pool, transaction and
 * request (the real mssql Table and types are used). Shows the batch shape without a server: one
 * transaction, XACT_ABORT, #temp staging on that transaction, MERGE, state, commit; rollback on error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mssql from 'mssql';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { createSqlServerReplica } from '../../main/engine/replica/sqlserver/sqlserver-replica.ts';
import type { MssqlDriver } from '../../main/engine/replica/sqlserver/sqlserver-replica.ts';

interface Call { op: string; on: 'pool' | 'tx'; sql?: string; inputs?: Record<string, unknown>; table?: mssql.Table }

function fakeDriver(respond: (sql: string) => { recordset?: unknown[]; rowsAffected?: number[] } | Error = () => ({})) {
  const calls: Call[] = [];
  class Pool {
    async connect() { calls.push({ op: 'connect', on: 'pool' }); }
    async close() { calls.push({ op: 'close', on: 'pool' }); }
    on() { return this; }
  }
  class Transaction {
    async begin() { calls.push({ op: 'begin', on: 'tx' }); }
    async commit() { calls.push({ op: 'commit', on: 'tx' }); }
    async rollback() { calls.push({ op: 'rollback', on: 'tx' }); }
  }
  class Request {
    on: 'pool' | 'tx';
    inputs: Record<string, unknown> = {};
    arrayRowMode = false;
    constructor(parent: unknown) { this.on = parent instanceof Transaction ? 'tx' : 'pool'; }
    input(name: string, _type: unknown, value: unknown) { this.inputs[name] = value; return this; }
    private run(op: string, sql: string) {
      calls.push({ op, on: this.on, sql, inputs: this.inputs });
      const r = respond(sql);
      if (r instanceof Error) throw r;
      return { recordset: r.recordset ?? [], rowsAffected: r.rowsAffected ?? [0] };
    }
    async batch(sql: string) { return this.run('batch', sql); }
    async query(sql: string) { return this.run('query', sql); }
    async bulk(table: mssql.Table) { calls.push({ op: 'bulk', on: this.on, table }); return { rowsAffected: table.rows.length }; }
  }
  const driver = { ...mssql, ConnectionPool: Pool, Transaction, Request } as unknown as MssqlDriver;
  return { driver, calls };
}

const contact: TableDef = {
  schema: 'crm7',
  name: 'contact',
  primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 100, fixed: false }, nullable: true },
    { name: 'modified', type: { kind: 'timestamp', precision: 7 }, nullable: true },
    { name: 'balance', type: { kind: 'decimal', precision: 38, scale: 10 }, nullable: true },
  ],
};
const opts = { server: 'db', database: 'mirror', user: 'u', password: 'p', encrypt: true, trustServerCertificate: true, tablePrefix: '' };
const brief = (c: Call) => `${c.on}:${c.op}${c.sql ? ' ' + c.sql.split('\n')[0] : ''}`;

describe('SQL Server replica batch flow (scripted driver)', () => {
  it('applies a unit in one transaction: deletes, staged upserts, MERGE, sweep marks, state, commit', async () => {
    const { driver, calls } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await r.apply({
      tables: [{
        table: contact,
        upserts: [
          { id: 9007199254740993n, name: 'Zoë 名前', modified: '2024-02-29 23:59:59.9999999', balance: '1234567890123456789012345678.0123456789' },
          { id: 2n, name: 'partial row' }, // modified/balance unavailable: a second column set
        ],
        deletes: [{ id: 5n }],
        markSeen: true,
      }],
      state: [{ id: 'offset:t:0', kind: 'offset', value: '{"next":10}' }, { id: 'offset:t:0', kind: 'offset', value: '{"next":11}' }],
    });
    assert.deepEqual(calls.map(brief), [
      'pool:connect',
      'tx:begin',
      'tx:batch SET XACT_ABORT ON;',
      'tx:batch DROP TABLE IF EXISTS #mirror_delete;',
      'tx:bulk',
      'tx:batch DELETE t FROM [crm7].[contact] AS t',
      'tx:batch DROP TABLE IF EXISTS #mirror_delete;',
      'tx:batch DROP TABLE IF EXISTS #mirror_upsert;',
      'tx:bulk',
      'tx:batch MERGE [crm7].[contact] WITH (UPDLOCK, HOLDLOCK) AS t',
      'tx:batch INSERT INTO [dbo].[_ReplicationSeen_8751f2c294e8] ([id])',
      'tx:batch DROP TABLE IF EXISTS #mirror_upsert;',
      'tx:batch DROP TABLE IF EXISTS #mirror_upsert;',
      'tx:bulk',
      'tx:batch MERGE [crm7].[contact] WITH (UPDLOCK, HOLDLOCK) AS t',
      'tx:batch INSERT INTO [dbo].[_ReplicationSeen_8751f2c294e8] ([id])',
      'tx:batch DROP TABLE IF EXISTS #mirror_upsert;',
      'tx:query MERGE [dbo].[_ReplicationState] WITH (UPDLOCK, HOLDLOCK) AS t',
      'tx:commit',
    ]);

    const bulks = calls.filter((c) => c.op === 'bulk').map((c) => c.table!);
    assert.equal(bulks[1]!.path, '[#mirror_upsert]');
    assert.deepEqual(bulks[1]!.columns.map((c) => c.name), ['seq', 'c0', 'c1', 'c2', 'c3']);
    // Exact text for the lossy types: the 100 ns digits, 2^53+1 and 38 digits survive.
    assert.deepEqual(bulks[1]!.rows[0], [0, '9007199254740993', 'Zoë 名前', '2024-02-29 23:59:59.9999999', '1234567890123456789012345678.0123456789']);
    assert.deepEqual(bulks[2]!.rows[0], [0, '2', 'partial row']);
    assert.deepEqual(bulks[0]!.rows, [['5']]);

    const partialMerge = calls.filter((c) => c.sql?.startsWith('MERGE [crm7]'))[1]!.sql!;
    assert.match(partialMerge, /UPDATE SET t\.\[name\] = s\.\[name\]\n/); // modified and balance untouched

    const state = calls.find((c) => c.sql?.startsWith('MERGE [dbo].[_ReplicationState]'))!;
    assert.deepEqual(state.inputs, { id0: 'offset:t:0', kind0: 'offset', value0: '{"next":11}' }); // last per id wins
  });

  it('rolls back and tags the error with the table when a statement fails', async () => {
    const failure = Object.assign(new Error("String or binary data would be truncated in table 'mirror.crm7.contact', column 'name'."), { number: 2628, class: 16 });
    const { driver, calls } = fakeDriver((sql) => (sql.startsWith('MERGE [crm7]') ? failure : {}));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await assert.rejects(r.apply({ tables: [{ table: contact, upserts: [{ id: 1n, name: 'x'.repeat(200) }], deletes: [], markSeen: false }], state: [] }), (err) => {
      const c = r.classifyError(err);
      assert.deepEqual([c.action, c.code, c.table], ['halt-table', 'REPLICA_WRITE_FAILED', 'crm7.contact']);
      return true;
    });
    assert.equal(calls.at(-1)!.op, 'rollback');
    assert.ok(!calls.some((c) => c.op === 'commit'));
  });

  it('refuses a value that cannot be staged before sending anything for that table', async () => {
    const { driver, calls } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await assert.rejects(r.apply({ tables: [{ table: contact, upserts: [{ id: 1n, modified: '29/02/2024' }], deletes: [], markSeen: false }], state: [] }), (err) => {
      assert.match(String((err as Error).message), /crm7\.contact\.modified: not a timestamp/);
      assert.equal(r.classifyError(err).action, 'halt-table');
      return true;
    });
    assert.ok(!calls.some((c) => c.op === 'bulk'));
    assert.equal(calls.at(-1)!.op, 'rollback');
  });

  it('rejects a row with a column the table does not have (SCHEMA_CONFLICT)', async () => {
    const { driver } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await assert.rejects(r.apply({ tables: [{ table: contact, upserts: [{ id: 1n, email: 'a@b' }], deletes: [], markSeen: false }], state: [] }), (err) => {
      assert.equal(r.classifyError(err).code, 'SCHEMA_CONFLICT');
      return true;
    });
  });

  it('finishes a sweep in one transaction and returns the rows deleted', async () => {
    const { driver, calls } = fakeDriver((sql) => (sql.startsWith('DELETE t FROM') ? { rowsAffected: [3] } : {}));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    assert.equal(await r.finishSweep(contact), 3);
    assert.deepEqual(calls.slice(1).map(brief), [
      'tx:begin', 'tx:batch SET XACT_ABORT ON;', 'tx:query DELETE t FROM [crm7].[contact] AS t',
      'tx:batch DROP TABLE IF EXISTS [dbo].[_ReplicationSeen_8751f2c294e8];', 'tx:commit',
    ]);
  });

  it('reads rows back into row shapes', async () => {
    const { driver } = fakeDriver((sql) => (sql.startsWith('SELECT CONVERT(varchar(20), [id])')
      ? { recordset: [['9007199254740993', 'Zoë', '2024-02-29 23:59:59.9999999', '1.5000000000']] }
      : {}));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    assert.deepEqual(await r.readRows(contact), [{ id: 9007199254740993n, name: 'Zoë', modified: '2024-02-29 23:59:59.9999999', balance: '1.5000000000' }]);
  });

  it('says REPLICA_NOT_PROVISIONED when the state table is missing', async () => {
    const { driver } = fakeDriver((sql) => (sql.includes('OBJECT_ID') ? { recordset: [{ present: 0 }] } : {}));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await assert.rejects(r.readState(), { code: 'REPLICA_NOT_PROVISIONED' });
  });

  it('refuses work before connect()', async () => {
    const r = createSqlServerReplica(opts, fakeDriver().driver);
    await assert.rejects(r.countRows(contact), { code: 'REPLICA_UNREACHABLE' });
  });
});
