/**
 * The replica's statement sequence against a scripted stand-in for mssql's pool, transaction and
 * request (the real mssql Table and types are used). Shows the batch shape without a server: one
 * transaction, XACT_ABORT, #temp staging on that transaction, MERGE, state, commit; rollback on error.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mssql from 'mssql';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { createSqlServerReplica } from '../../main/engine/replica/sqlserver/replica.ts';
import type { MssqlDriver } from '../../main/engine/replica/sqlserver/replica.ts';

interface Call { op: string; on: 'pool' | 'tx'; sql?: string; inputs?: Record<string, unknown>; table?: mssql.Table; timeout?: number | undefined }

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
    timeout: number | undefined;
    constructor(parent: unknown, overrides?: { requestTimeout?: number }) { this.on = parent instanceof Transaction ? 'tx' : 'pool'; this.timeout = overrides?.requestTimeout; }
    input(name: string, _type: unknown, value: unknown) { this.inputs[name] = value; return this; }
    private run(op: string, sql: string) {
      calls.push({ op, on: this.on, sql, inputs: this.inputs, timeout: this.timeout });
      const r = respond(sql);
      if (r instanceof Error) throw r;
      return { recordset: r.recordset ?? [], rowsAffected: r.rowsAffected ?? [0] };
    }
    async batch(sql: string) { return this.run('batch', sql); }
    async query(sql: string) { return this.run('query', sql); }
    async bulk(table: mssql.Table) { calls.push({ op: 'bulk', on: this.on, table }); return { rowsAffected: table.rows.length }; }
    async execute() { throw new Error('not used'); }
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
  it('applies a unit in one transaction: deletes, staged upserts (UPDATE + INSERT), sweep marks, state, commit', async () => {
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
      'tx:batch UPDATE t SET t.[name] = s.[name], t.[modified] = s.[modified], t.[balance] = s.[balance]',
      'tx:batch INSERT INTO [dbo].[_ReplicationSeen_8751f2c294e8] ([id])',
      'tx:batch DROP TABLE IF EXISTS #mirror_upsert;',
      'tx:batch DROP TABLE IF EXISTS #mirror_upsert;',
      'tx:bulk',
      'tx:batch UPDATE t SET t.[name] = s.[name]',
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

    const partial = calls.filter((c) => c.sql?.startsWith('UPDATE t'))[1]!.sql!;
    assert.match(partial, /^UPDATE t SET t\.\[name\] = s\.\[name\]\n/); // modified and balance untouched
    assert.match(partial, /\nINSERT INTO \[crm7\]\.\[contact\] \(\[id\], \[name\]\)\n/);

    const state = calls.find((c) => c.sql?.startsWith('MERGE [dbo].[_ReplicationState]'))!;
    assert.deepEqual(state.inputs, { id0: 'offset:t:0', kind0: 'offset', value0: '{"next":11}' }); // last per id wins
  });

  it('marks keys alone (marks): staged as keys, added to the sweep set, the table itself untouched', async () => {
    const { driver, calls } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    const deltas = await r.apply({ tables: [{ table: contact, upserts: [], deletes: [], markSeen: true, marks: [{ id: 7n }, { id: 9007199254740993n }] }], state: [] });
    assert.deepEqual(deltas, [{ inserted: 0, deleted: 0 }]);
    assert.deepEqual(calls.map(brief), [
      'pool:connect',
      'tx:begin',
      'tx:batch SET XACT_ABORT ON;',
      'tx:batch DROP TABLE IF EXISTS #mirror_delete;',
      'tx:bulk',
      'tx:batch INSERT INTO [dbo].[_ReplicationSeen_8751f2c294e8] ([id])',
      'tx:batch DROP TABLE IF EXISTS #mirror_delete;',
      'tx:commit',
    ]);
    assert.deepEqual(calls.find((c) => c.op === 'bulk')!.table!.rows, [['7'], ['9007199254740993']]);
    assert.ok(!calls.some((c) => c.sql?.includes('[crm7].[contact]')), 'no statement writes the table');
  });

  it('answers what the commit inserted and deleted, from the rows each statement reports (the INSERT follows the UPDATE)', async () => {
    // As tedious reports them: one count per statement, 0 included; the upsert batch is UPDATE then INSERT.
    const { driver } = fakeDriver((sql) => (sql.startsWith('DELETE t') ? { rowsAffected: [1] } : sql.startsWith('UPDATE t') ? { rowsAffected: [sql.includes('[balance]') ? 1 : 0, sql.includes('[balance]') ? 2 : 1] } : {}));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    const deltas = await r.apply({
      tables: [{
        table: contact,
        upserts: [{ id: 1n, name: 'a', modified: null, balance: null }, { id: 2n, name: 'b', modified: null, balance: null }, { id: 3n, name: 'c', modified: null, balance: null }, { id: 4n, name: 'partial' }],
        deletes: [{ id: 5n }, { id: 6n }],
        markSeen: false,
      }],
      state: [],
    });
    assert.deepEqual(deltas, [{ inserted: 3, deleted: 1 }], 'full rows: 1 updated + 2 inserted; partial: 1 inserted; 1 of 2 keys deleted');
  });

  it('rolls back and tags the error with the table when a statement fails', async () => {
    const failure = Object.assign(new Error("String or binary data would be truncated in table 'mirror.crm7.contact', column 'name'."), { number: 2628, class: 16 });
    const { driver, calls } = fakeDriver((sql) => (sql.startsWith('UPDATE t') ? failure : {}));
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

  it('finishes a sweep in bounded chunks, each in its own transaction re-checking the lease, without the request timeout', async () => {
    const lease = { ownerId: 'me', epoch: 3 };
    const leaseJson = JSON.stringify({ ownerId: 'me', epoch: 3, command: 'serve', host: 'h', pid: 1, heartbeatAt: Date.now() });
    const deleted = [2000, 2000, 7];
    const { driver, calls } = fakeDriver((sql) => {
      if (sql.startsWith('DELETE TOP (2000) t FROM')) return { rowsAffected: [deleted.shift()!] };
      if (sql.startsWith('SELECT [Value]')) return { recordset: [{ Value: leaseJson }] };
      return {};
    });
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    assert.equal(await r.finishSweep(contact, lease), 4007);
    const chunk = ['tx:begin', 'tx:batch SET XACT_ABORT ON;', 'tx:query SELECT [Value] FROM [dbo].[_ReplicationState] WITH (UPDLOCK, HOLDLOCK) WHERE [Id] = @id;', 'tx:query DELETE TOP (2000) t FROM [crm7].[contact] AS t', 'tx:commit'];
    assert.deepEqual(calls.slice(1).map(brief), [...chunk, ...chunk, ...chunk, 'pool:batch DROP TABLE IF EXISTS [dbo].[_ReplicationSeen_8751f2c294e8];']);
    assert.ok(calls.filter((c) => c.sql?.startsWith('DELETE TOP')).every((c) => c.timeout === 0), 'sweep chunks run without the request timeout');
  });

  it('stops a sweep at the chunk whose lease check fails (REPLICA_LEASE_LOST), earlier chunks stay committed', async () => {
    const mine = JSON.stringify({ ownerId: 'me', epoch: 3, command: 'serve', host: 'h', pid: 1, heartbeatAt: Date.now() });
    const theirs = JSON.stringify({ ownerId: 'other', epoch: 4, command: 'serve', host: 'h2', pid: 2, heartbeatAt: Date.now() });
    const leases = [mine, theirs];
    const { driver, calls } = fakeDriver((sql) => {
      if (sql.startsWith('DELETE TOP')) return { rowsAffected: [2000] };
      if (sql.startsWith('SELECT [Value]')) return { recordset: [{ Value: leases.shift() }] };
      return {};
    });
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await assert.rejects(r.finishSweep(contact, { ownerId: 'me', epoch: 3 }), { code: 'REPLICA_LEASE_LOST' });
    assert.equal(calls.filter((c) => c.sql?.startsWith('DELETE TOP')).length, 1);
    assert.deepEqual(calls.filter((c) => c.op === 'commit' || c.op === 'rollback').map((c) => c.op), ['commit', 'rollback']);
    assert.ok(!calls.some((c) => c.sql?.startsWith('DROP TABLE IF EXISTS [dbo].[_ReplicationSeen')), 'the sweep set is kept for the next owner');
  });

  it('feeds each statement at most 2,000 rows (under the lock-escalation threshold), all in the one transaction', async () => {
    const { driver, calls } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    const upserts = Array.from({ length: 4500 }, (_, i) => ({ id: BigInt(i), name: `n${i}`, modified: null, balance: null }));
    const deletes = Array.from({ length: 2001 }, (_, i) => ({ id: BigInt(10_000 + i) }));
    await r.apply({ tables: [{ table: contact, upserts, deletes, markSeen: false }], state: [] });
    const bulks = calls.filter((c) => c.op === 'bulk').map((c) => [c.table!.path, c.table!.rows.length]);
    assert.deepEqual(bulks, [['[#mirror_delete]', 2000], ['[#mirror_delete]', 1], ['[#mirror_upsert]', 2000], ['[#mirror_upsert]', 2000], ['[#mirror_upsert]', 500]]);
    assert.equal(calls.filter((c) => c.sql?.startsWith('DELETE t FROM')).length, 2);
    assert.equal(calls.filter((c) => c.sql?.startsWith('UPDATE t')).length, 3);
    assert.deepEqual(calls.filter((c) => c.op === 'begin' || c.op === 'commit').map((c) => c.op), ['begin', 'commit']);
  });

  it('runs DDL statement by statement without the request timeout: CREATE in autocommit, ALTER in one transaction', async () => {
    const { driver, calls } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await r.createTable(contact);
    await r.ensureStateTable();
    const created = calls.filter((c) => c.sql);
    assert.equal(created.length, 5);
    assert.ok(created.every((c) => c.on === 'pool' && c.timeout === 0), JSON.stringify(created.map((c) => [c.on, c.timeout])));
    assert.ok(!calls.some((c) => c.op === 'begin'));
    calls.length = 0;
    const wider = { ...contact, columns: contact.columns.map((c) => (c.name === 'id' ? { ...c, type: { kind: 'string' as const, length: 40, fixed: false } } : c)) };
    await r.alterTable({ table: wider, addColumns: [], widenColumns: [wider.columns[0]!], relaxNullability: [] });
    assert.deepEqual(calls.map((c) => `${c.on}:${c.op}`), ['tx:begin', 'tx:batch', 'tx:batch', 'tx:batch', 'tx:batch', 'tx:batch', 'tx:commit']);
    assert.ok(calls.filter((c) => c.sql && c.sql !== 'SET XACT_ABORT ON;').every((c) => c.timeout === 0));
    assert.match(calls[4]!.sql!, /ALTER COLUMN \[id\] nvarchar\(80\) COLLATE Latin1_General_100_BIN2 NOT NULL/);
  });

  it('refuses a state id longer than the state table holds (450) with a coded error, not an endless retry', async () => {
    const { driver, calls } = fakeDriver();
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    const id = `table:${'s'.repeat(128)}.${'t'.repeat(128)}`;
    await r.writeState([{ id, kind: 'table', value: '{}' }]);
    assert.equal(calls.find((c) => c.sql?.startsWith('MERGE [dbo].[_ReplicationState]'))!.inputs!.id0, id);
    await assert.rejects(r.writeState([{ id: `poison:${'x'.repeat(450)}`, kind: 'poison', value: '{}' }]), (err) => {
      assert.equal((err as { code?: string }).code, 'REPLICA_WRITE_FAILED');
      assert.notEqual(r.classifyError(err).action, 'retry');
      return true;
    });
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
