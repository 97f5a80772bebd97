import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSqlServerConnectionString } from '../harness/sqlserver-connection-string.ts';
import { buildPoolConfig } from '../../main/engine/replica/sqlserver/replica.ts';
import { rightsQuerySql, rightsReport } from '../../main/engine/replica/sqlserver/rights.ts';

describe('SQL Server connection strings', () => {
  it('parses the MIRROR_TEST_MSSQL form', () => {
    assert.deepEqual(parseSqlServerConnectionString('Server=localhost,1433;Database=mirror_test;User Id=sa;Password=Secret#1;TrustServerCertificate=true'), {
      server: 'localhost', port: 1433, database: 'mirror_test', user: 'sa', password: 'Secret#1', domain: undefined,
      encrypt: true, trustServerCertificate: true, tablePrefix: '',
    });
  });

  it('accepts synonyms, tcp: prefix, quoted values and DOMAIN\\user', () => {
    const o = parseSqlServerConnectionString('Data Source=tcp:db.example.com,14330;Initial Catalog=Mirror;UID=CORP\\svc;PWD="p;w""d";Encrypt=False');
    assert.deepEqual([o.server, o.port, o.database, o.domain, o.user, o.password, o.encrypt, o.trustServerCertificate], ['db.example.com', 14330, 'Mirror', 'CORP', 'svc', 'p;w"d', false, false]);
  });

  it('keeps a named instance in the server name', () => {
    assert.equal(parseSqlServerConnectionString('Server=host\\SQLEXPRESS;Database=x').server, 'host\\SQLEXPRESS');
  });

  it('rejects a string without server or database', () => {
    assert.throws(() => parseSqlServerConnectionString('Database=x'), /no Server/);
    assert.throws(() => parseSqlServerConnectionString('Server=x'), /no Database/);
    assert.throws(() => parseSqlServerConnectionString('Server=x,99999;Database=y'), /invalid port/);
  });

  it('keeps Encrypt=Strict as strict (TDS 8.0), not plain true', () => {
    const base = 'Server=db;Database=m;User Id=u;Password=p;';
    assert.equal(parseSqlServerConnectionString(`${base}Encrypt=Strict`).encrypt, 'strict');
    assert.equal(parseSqlServerConnectionString(`${base}Encrypt=Mandatory`).encrypt, true);
    assert.equal(parseSqlServerConnectionString(`${base}Encrypt=Optional`).encrypt, false);
    assert.equal(buildPoolConfig({ ...parseSqlServerConnectionString(`${base}Encrypt=strict`), tablePrefix: '' }).options?.encrypt, 'strict');
    assert.throws(() => parseSqlServerConnectionString(`${base}Encrypt=maybe`), /Encrypt must be/);
  });

  it('refuses Authentication= (other than SQL Password) and Integrated Security instead of ignoring them', () => {
    const base = 'Server=db;Database=m;User Id=u@x;Password=p;';
    assert.throws(() => parseSqlServerConnectionString(`${base}Authentication=Active Directory Password`), { code: 'CONFIG_INVALID', message: /Authentication=Active Directory Password is not supported/ });
    assert.throws(() => parseSqlServerConnectionString('Server=db;Database=m;Integrated Security=SSPI'), { code: 'CONFIG_INVALID', message: /Integrated Security .* is not supported/ });
    assert.throws(() => parseSqlServerConnectionString('Server=db;Database=m;Trusted_Connection=yes'), /Integrated Security/);
    assert.equal(parseSqlServerConnectionString(`${base}Authentication=SqlPassword;Integrated Security=false`).user, 'u@x');
  });

  it('never echoes a value in a "has no value" error (it may be the tail of a password split at ";")', () => {
    const secret = 'Server=db;Database=m;User Id=u;Password=abc;def-secret-tail';
    assert.throws(() => parseSqlServerConnectionString(secret), (err: Error) => {
      assert.match(err.message, /starting at character \d+ has no "="/);
      assert.doesNotMatch(err.message, /def|secret|tail/);
      return true;
    });
  });

  it('builds an mssql pool config', () => {
    const c = buildPoolConfig({ server: 'db', port: 1433, database: 'm', user: 'u', password: 'p', encrypt: true, trustServerCertificate: false, tablePrefix: '' });
    assert.equal(c.server, 'db');
    assert.equal(c.port, 1433);
    assert.equal(c.options?.encrypt, true);
    assert.equal(c.options?.trustServerCertificate, false);
    assert.equal(c.options?.useUTC, true);
    assert.equal(c.domain, undefined);
  });
});

describe('SQL Server rights check', () => {
  it('queries db_owner and the exact rights per schema', () => {
    const sql = rightsQuerySql(['dbo', "t'x"]);
    assert.match(sql, /IS_ROLEMEMBER\(N'db_owner'\) AS \[dbOwner\]/);
    assert.match(sql, /HAS_PERMS_BY_NAME\(DB_NAME\(\), N'DATABASE', N'CREATE TABLE'\) AS \[createTable\]/);
    assert.match(sql, /HAS_PERMS_BY_NAME\(N'dbo', N'SCHEMA', N'ALTER'\) AS \[s0_ALTER\]/);
    assert.match(sql, /HAS_PERMS_BY_NAME\(N't''x', N'SCHEMA', N'DELETE'\) AS \[s1_DELETE\]/);
  });

  it('db_owner is enough', () => {
    assert.deepEqual(rightsReport({ dbOwner: 1, userName: 'mirror' }, ['dbo'], { schemasOnDemand: true }), { ok: true, missing: [] });
  });

  it('exact rights are enough too', () => {
    const row = { dbOwner: 0, sysadmin: 0, userName: 'mirror', createTable: 1, createSchema: 1, s0_exists: 1, s0_ALTER: 1, s0_SELECT: 1, s0_INSERT: 1, s0_UPDATE: 1, s0_DELETE: 1 };
    assert.deepEqual(rightsReport(row, ['dbo'], { schemasOnDemand: true }), { ok: true, missing: [] });
  });

  it('says what to grant', () => {
    const row = { dbOwner: 0, sysadmin: 0, userName: 'mirror', createTable: 0, createSchema: 0, s0_exists: 1, s0_ALTER: 0, s0_SELECT: 1, s0_INSERT: 0, s0_UPDATE: 1, s0_DELETE: 1, s1_exists: 0 };
    const r = rightsReport(row, ['dbo', 'tenant_a'], { schemasOnDemand: false });
    assert.equal(r.ok, false);
    assert.deepEqual(r.missing, [
      'CREATE TABLE on the database: GRANT CREATE TABLE TO [mirror];',
      'ALTER, INSERT on schema dbo: GRANT ALTER, INSERT ON SCHEMA::[dbo] TO [mirror];',
      'CREATE SCHEMA (schema tenant_a does not exist yet): GRANT CREATE SCHEMA TO [mirror];',
      'Or grant everything at once: ALTER ROLE db_owner ADD MEMBER [mirror];',
    ]);
  });

  it('asks for CREATE SCHEMA when destination schemas are the source schemas', () => {
    const row = { dbOwner: 0, userName: 'm', createTable: 1, createSchema: 0, s0_exists: 1, s0_ALTER: 1, s0_SELECT: 1, s0_INSERT: 1, s0_UPDATE: 1, s0_DELETE: 1 };
    assert.match(rightsReport(row, ['dbo'], { schemasOnDemand: true }).missing[0]!, /GRANT CREATE SCHEMA TO \[m\]/);
  });

  it('does not ask a least-privilege login for CREATE SCHEMA with TablePrefix "dbo" (or any existing prefix schema)', () => {
    const row = { dbOwner: 0, sysadmin: 0, userName: 'm', createTable: 1, createSchema: 0, s0_exists: 1, s0_ALTER: 1, s0_SELECT: 1, s0_INSERT: 1, s0_UPDATE: 1, s0_DELETE: 1 };
    assert.deepEqual(rightsReport(row, ['dbo'], { schemasOnDemand: false }), { ok: true, missing: [] });
    const withPrefix = { ...row, s1_exists: 1, s1_ALTER: 1, s1_SELECT: 1, s1_INSERT: 1, s1_UPDATE: 1, s1_DELETE: 1 };
    assert.deepEqual(rightsReport(withPrefix, ['dbo', 'tenant_a'], { schemasOnDemand: false }), { ok: true, missing: [] });
  });

  it('the replica checks rights with TablePrefix "dbo" as a prefix (no schemas created on demand)', async () => {
    const { createSqlServerReplica } = await import('../../main/engine/replica/sqlserver/replica.ts');
    const mssql = (await import('mssql')).default;
    const row = { dbOwner: 0, sysadmin: 0, userName: 'm', createTable: 1, createSchema: 0, s0_exists: 1, s0_ALTER: 1, s0_SELECT: 1, s0_INSERT: 1, s0_UPDATE: 1, s0_DELETE: 1 };
    let sql = '';
    class Pool { async connect() {} async close() {} on() { return this; } }
    class Request { async query(q: string) { sql = q; return { recordset: [row] }; } }
    const driver = { ...mssql, ConnectionPool: Pool, Request } as unknown as typeof mssql;
    const base = { server: 'db', database: 'm', encrypt: true, trustServerCertificate: false };
    const dbo = createSqlServerReplica({ ...base, tablePrefix: 'dbo' }, driver);
    await dbo.connect();
    assert.deepEqual(await dbo.checkRights(), { ok: true, missing: [] });
    assert.doesNotMatch(sql, /s1_exists/);
    const none = createSqlServerReplica({ ...base, tablePrefix: '' }, driver);
    await none.connect();
    assert.match((await none.checkRights()).missing.join('\n'), /GRANT CREATE SCHEMA/);
  });
});
