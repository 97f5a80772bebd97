/**
 * The SQL Server writer-lease SQL against a scripted stand-in for mssql (as sqlserver-replica-flow does):
 * a batch first reads the `lease` row WITH (UPDLOCK, HOLDLOCK) on its own transaction and rolls back
 * with REPLICA_LEASE_LOST, before any write, when the row names another owner or epoch.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import mssql from 'mssql';
import { createSqlServerReplica } from '../../main/engine/replica/sqlserver/replica.ts';
import type { MssqlDriver } from '../../main/engine/replica/sqlserver/replica.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { decideTake } from '../../main/engine/state/lease-rules.ts';

interface Call { op: string; on: 'pool' | 'tx'; sql?: string; inputs?: Record<string, unknown> }

function fakeDriver(leaseRow: (id: string) => string | null) {
  const calls: Call[] = [];
  class Pool { async connect() {} async close() {} on() { return this; } }
  class Transaction {
    async begin() { calls.push({ op: 'begin', on: 'tx' }); }
    async commit() { calls.push({ op: 'commit', on: 'tx' }); }
    async rollback() { calls.push({ op: 'rollback', on: 'tx' }); }
  }
  class Request {
    on: 'pool' | 'tx';
    inputs: Record<string, unknown> = {};
    constructor(parent: unknown) { this.on = parent instanceof Transaction ? 'tx' : 'pool'; }
    input(name: string, _type: unknown, value: unknown) { this.inputs[name] = value; return this; }
    private run(op: string, sql: string) {
      calls.push({ op, on: this.on, sql, inputs: this.inputs });
      const v = sql.includes('WITH (UPDLOCK, HOLDLOCK) WHERE [Id] = @id') ? leaseRow(String(this.inputs.id)) : null;
      return { recordset: v === null ? [] : [{ Value: v }], rowsAffected: [0] };
    }
    async batch(sql: string) { return this.run('batch', sql); }
    async query(sql: string) { return this.run('query', sql); }
    async bulk() { calls.push({ op: 'bulk', on: this.on }); return { rowsAffected: 1 }; }
  }
  return { driver: { ...mssql, ConnectionPool: Pool, Transaction, Request } as unknown as MssqlDriver, calls };
}

const T: TableDef = { schema: 'crm7', name: 'contact', primaryKey: ['id'], columns: [{ name: 'id', type: { kind: 'int', bits: 32 }, nullable: false }] };
const opts = { server: 'db', database: 'mirror', encrypt: true, trustServerCertificate: true, tablePrefix: '' };
const lease = (ownerId: string, epoch: number) => JSON.stringify({ ownerId, host: 'h', pid: 1, epoch, heartbeatAt: Date.now(), startedAt: Date.now(), command: 'sync' });
const unit = { tables: [{ table: T, upserts: [{ id: 1 }], deletes: [], markSeen: false }], state: [{ id: 'offset:t:0', kind: 'offset' as const, value: '{}' }], lease: { ownerId: 'me', epoch: 3 } };
const LOCKED_READ = 'SELECT [Value] FROM [dbo].[_ReplicationState] WITH (UPDLOCK, HOLDLOCK) WHERE [Id] = @id;';

describe('SQL Server writer lease (scripted driver)', () => {
  it('checks the lease first in the batch transaction, with an update lock held to commit', async () => {
    const { driver, calls } = fakeDriver(() => lease('me', 3));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await r.apply(unit);
    assert.deepEqual(calls.slice(0, 3).map((c) => `${c.on}:${c.op} ${c.sql ?? ''}`.trim()), ['tx:begin', 'tx:batch SET XACT_ABORT ON;', `tx:query ${LOCKED_READ}`]);
    assert.deepEqual(calls[2]!.inputs, { id: 'lease' });
    assert.equal(calls.at(-1)!.op, 'commit');
  });

  // No lease row: the replica went back under this process (restored from a backup), not a takeover.
  for (const [why, row, code] of [['another owner', lease('other', 4), 'REPLICA_LEASE_LOST'], ['a newer epoch of the same owner id', lease('me', 4), 'REPLICA_LEASE_LOST'], ['no lease row', null, 'REPLICA_WENT_BACK']] as const) {
    it(`rolls back with ${code} before writing anything when the row holds ${why}`, async () => {
      const { driver, calls } = fakeDriver(() => row);
      const r = createSqlServerReplica(opts, driver);
      await r.connect();
      await assert.rejects(r.apply(unit), (err) => {
        const c = r.classifyError(err);
        assert.deepEqual([c.action, c.code], ['halt-all', code]);
        return true;
      });
      assert.deepEqual(calls.map((c) => c.op), ['begin', 'batch', 'query', 'rollback']);
      await assert.rejects(r.writeState(unit.state, [], unit.lease), { code });
      assert.ok(!calls.some((c) => c.sql?.startsWith('MERGE')), 'no MERGE was sent');
    });
  }

  it('writes without a lease check when the unit carries no lease', async () => {
    const { driver, calls } = fakeDriver(() => null);
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    await r.apply({ ...unit, lease: undefined });
    assert.ok(!calls.some((c) => c.sql === LOCKED_READ));
  });

  it('takes the lease in one transaction: locked read, MERGE of the new row, commit', async () => {
    const { driver, calls } = fakeDriver(() => lease('old', 7));
    const r = createSqlServerReplica(opts, driver);
    await r.connect();
    const now = Date.now() + 60_000;
    const res = await r.updateLease((cur) => decideTake(cur, { ownerId: 'me', host: 'h', pid: 2, heartbeatAt: now, startedAt: now, command: 'sync' }, 20_000));
    assert.ok(res.ok && res.lease.epoch === 8);
    assert.deepEqual(calls.map((c) => `${c.op} ${c.sql?.split('\n')[0] ?? ''}`.trim()), [
      'begin', 'batch SET XACT_ABORT ON;', `query ${LOCKED_READ}`, 'query MERGE [dbo].[_ReplicationState] WITH (UPDLOCK, HOLDLOCK) AS t', 'commit',
    ]);
    assert.deepEqual({ ...calls[3]!.inputs, value0: JSON.parse(String(calls[3]!.inputs!['value0'])).epoch }, { id0: 'lease', kind0: 'lease', value0: 8 });
  });

  it('reads state rows of one kind with a parameter', () => {
    const r = createSqlServerReplica(opts, fakeDriver(() => null).driver);
    assert.equal(r.dialect.readState(true), 'SELECT [Id], [Kind], [Value] FROM [dbo].[_ReplicationState] WHERE [Kind] = @kind ORDER BY [Id];');
    assert.equal(r.dialect.readState(), 'SELECT [Id], [Kind], [Value] FROM [dbo].[_ReplicationState] ORDER BY [Id];');
  });

  it('with a position guard, reads the offset row under the same locks after the lease and rolls back with REPLICA_WENT_BACK when it differs', async () => {
    const rows = (offset: string | null) => (id: string) => (id === 'lease' ? lease('me', 3) : id === 'offset:t:0' ? offset : null);
    const guarded = { ...unit, position: { id: 'offset:t:0', next: '42' } };
    const ok = fakeDriver(rows(JSON.stringify({ next: '42', at: 1 })));
    const r1 = createSqlServerReplica(opts, ok.driver);
    await r1.connect();
    await r1.apply(guarded);
    assert.deepEqual(ok.calls.filter((c) => c.sql === LOCKED_READ).map((c) => c.inputs), [{ id: 'lease' }, { id: 'offset:t:0' }]);
    assert.equal(ok.calls.at(-1)!.op, 'commit');
    for (const stored of [JSON.stringify({ next: '40', at: 1 }), null]) {
      const back = fakeDriver(rows(stored));
      const r2 = createSqlServerReplica(opts, back.driver);
      await r2.connect();
      await assert.rejects(r2.apply(guarded), (err) => {
        assert.deepEqual([r2.classifyError(err).code, r2.classifyError(err).action], ['REPLICA_WENT_BACK', 'halt-all']);
        return true;
      });
      assert.deepEqual(back.calls.map((c) => c.op), ['begin', 'batch', 'query', 'query', 'rollback'], `stored ${stored}`);
    }
  });
});
