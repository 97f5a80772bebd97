/**
 * The replica naming rule (docs/naming.md, main/engine/replica/table-names.ts): two source tables never get
 * one replica name under the dialect's own comparison (SQLite and SQL Server case-insensitive,
 * PostgreSQL exact but 63 bytes), no source table takes a product table's name, and the name depends on
 * the source name alone (stable across restarts, whatever order tables arrive in).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SEEN_TABLE_PREFIX, STATE_TABLE } from '../../main/engine/replica/replica.ts';
import { replicaTableName, seenTableName, TABLE_NAME_RULES, type TableNameRule } from '../../main/engine/replica/table-names.ts';
import { PostgresDialect } from '../../main/engine/replica/postgres/dialect.ts';
import { SqliteDialect } from '../../main/engine/replica/sqlite/dialect.ts';
import { createTableSql } from '../../main/engine/replica/sqlserver/ddl.ts';
import { createNaming } from '../../main/engine/replica/sqlserver/naming.ts';
import { tableId, type TableDef } from '../../main/engine/schema/table-model.ts';
import { TableRegistry } from '../../main/engine/tables.ts';
import type { TableRecord } from '../../main/engine/state/records.ts';
import { destinationOf } from '../harness/replica-reader.ts';

type DialectKey = keyof typeof TABLE_NAME_RULES;
const DIALECTS = Object.keys(TABLE_NAME_RULES) as DialectKey[];
/** How the dialect compares two names (SQLite folds ASCII only; SQL Server's CI collations fold more: lower-case both). */
const sameName = (d: DialectKey, a: string, b: string): boolean => (TABLE_NAME_RULES[d].caseInsensitive ? a.toLowerCase() === b.toLowerCase() : a === b);
const fits = (rule: TableNameRule, s: string): boolean =>
  (!('maxBytes' in rule) || rule.maxBytes === undefined || Buffer.byteLength(s, 'utf8') <= rule.maxBytes) && (!('maxUnits' in rule) || rule.maxUnits === undefined || s.length <= rule.maxUnits);
const isProductName = (d: DialectKey, s: string): boolean =>
  sameName(d, s, STATE_TABLE) || new RegExp(`^${SEEN_TABLE_PREFIX}[0-9a-f]{12}$`, TABLE_NAME_RULES[d].caseInsensitive ? 'i' : '').test(s)
  || /^_tm_rebuild_/i.test(s);

const STATE_VARIANTS = ['_ReplicationState', '_replicationstate', '_REPLICATIONSTATE', '_replicationState', '_ReplicationSTATE'];
const PG_LONG = [
  'a'.repeat(63), 'a'.repeat(64), 'a'.repeat(63) + 'b', 'a'.repeat(63) + 'c', 'a'.repeat(62) + 'é', // 'é' is 2 bytes: 64 bytes
  'é'.repeat(32) + 'x', 'é'.repeat(32) + 'y', // 65 bytes, same first 64
  '日本'.repeat(11) + 'a', '日本'.repeat(11) + 'b', // 67 bytes (3-byte characters)
  '😀'.repeat(16) + 'a', '😀'.repeat(16) + 'b', // 65 bytes (4-byte characters)
];
const HOSTILE = [
  'Casey', 'casey', 'CASEY', 'cAsEy', 'caSey',
  ...STATE_VARIANTS, '_ReplicationSeen_0123456789ab', '_replicationseen_0123456789ab', '_tm_rebuild_casey', '_TM_x',
  'casey__0123456789', 'casey__abcdef0123', 'Casey__ABCDEF0123', 'x__', 'contact', 'Contact', 'ÆRØ', 'ærø', 'Straße', 'STRASSE',
  'quote"d', 'back`tick', 'sp ace', 'dot.ted', '',
  ...PG_LONG, 'A'.repeat(129), 'A'.repeat(128), 'a'.repeat(129), 'a'.repeat(128) + '😀',
].filter((n) => n !== '');

describe('replica table names', () => {
  it('kept when nothing forbids it: lower-case names everywhere, any case on PostgreSQL', () => {
    for (const d of DIALECTS) assert.equal(replicaTableName('contact', TABLE_NAME_RULES[d]), 'contact');
    assert.equal(replicaTableName('Casey', TABLE_NAME_RULES.postgres), 'Casey');
    assert.equal(replicaTableName('casey', TABLE_NAME_RULES.sqlite), 'casey');
    assert.equal(replicaTableName('a'.repeat(63), TABLE_NAME_RULES.postgres), 'a'.repeat(63));
    assert.equal(replicaTableName('a'.repeat(64), TABLE_NAME_RULES.sqlite), 'a'.repeat(64));
  });

  it('case variants get distinct names on the case-insensitive dialects; the lower-case one keeps its name', () => {
    const sqlite = ['Casey', 'casey', 'CASEY', 'cAsEy'].map((n) => replicaTableName(n, TABLE_NAME_RULES.sqlite));
    assert.equal(sqlite[1], 'casey');
    assert.match(sqlite[0]!, /^Casey__[0-9a-f]{10}$/);
    assert.equal(new Set(sqlite.map((s) => s.toLowerCase())).size, 4, sqlite.join(', '));
  });

  it('no two hostile names share a replica name under the dialect\'s comparison, and each fits its limit', () => {
    for (const d of DIALECTS) {
      const rule = TABLE_NAME_RULES[d];
      const names = HOSTILE.map((n) => replicaTableName(n, rule));
      for (let i = 0; i < names.length; i++) {
        assert.ok(fits(rule, names[i]!), `${d}: ${names[i]} is over the limit`);
        for (let j = i + 1; j < names.length; j++) {
          assert.ok(!sameName(d, names[i]!, names[j]!), `${d}: ${JSON.stringify(HOSTILE[i])} and ${JSON.stringify(HOSTILE[j])} both map to ${names[i]}`);
        }
      }
    }
  });

  it('the state table name, in every case, is never a source table\'s replica name (nor a sweep set\'s)', () => {
    for (const d of DIALECTS) {
      for (const n of [...STATE_VARIANTS, '_ReplicationSeen_0123456789ab', '_REPLICATIONSEEN_0123456789AB', '_tm_rebuild_t']) {
        const out = replicaTableName(n, TABLE_NAME_RULES[d]);
        assert.ok(!isProductName(d, out), `${d}: ${n} -> ${out}`);
        assert.match(out, /__[0-9a-f]{10}$/);
      }
      // With a SQLite prefix that makes the full name reserved, the table is escaped too.
      assert.match(replicaTableName('State', TABLE_NAME_RULES.sqlite, '_Replication_'), /__[0-9a-f]{10}$/);
    }
  });

  it('names that truncate to the same prefix at PostgreSQL\'s 63 bytes stay distinct, cut on a character boundary', () => {
    const out = PG_LONG.map((n) => replicaTableName(n, TABLE_NAME_RULES.postgres));
    assert.equal(new Set(out).size, PG_LONG.length);
    for (const o of out) {
      assert.ok(Buffer.byteLength(o, 'utf8') <= 63, o);
      assert.ok(!o.includes('\uFFFD') && Buffer.from(o, 'utf8').toString('utf8') === o);
    }
    assert.equal(replicaTableName('a'.repeat(64), TABLE_NAME_RULES.postgres).length, 63);
    // SQL Server: 128 UTF-16 units, a surrogate pair never split.
    const ss = replicaTableName('a'.repeat(116) + '😀😀', TABLE_NAME_RULES.sqlserver);
    assert.ok(ss.length <= 128 && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(ss), ss);
  });

  it('depends on the name alone: the same on every call, in any order the tables appear', () => {
    const shuffled = [...HOSTILE].reverse();
    for (const d of DIALECTS) {
      const a = new Map(HOSTILE.map((n) => [n, replicaTableName(n, TABLE_NAME_RULES[d])]));
      const b = new Map(shuffled.map((n) => [n, replicaTableName(n, TABLE_NAME_RULES[d])]));
      assert.deepEqual([...a].sort(), [...b].sort());
    }
    // The documented form: the name + '__' + the first 10 hex of sha256 of the exact source name.
    assert.equal(replicaTableName('Casey', TABLE_NAME_RULES.sqlite), `Casey__${createHash('sha256').update('Casey').digest('hex').slice(0, 10)}`);
  });

  it('a random mix of case, reserved prefixes and escape look-alikes never collides', () => {
    let counter = 0; // deterministic: sha256 of a counter
    const rnd = (n: number): number => createHash('sha256').update(String(counter++)).digest().readUInt32BE(0) % n;
    const parts = ['a', 'A', 'é', 'É', '_', '__', '0', 'f', 'F', '_replication', '_Replication', 'State', '_tm_', 'ß', '😀'];
    const names = new Set<string>();
    for (let tries = 0; names.size < 3000 && tries < 100_000; tries++) {
      let s = '';
      const k = 1 + rnd(12);
      for (let i = 0; i < k; i++) s += parts[rnd(parts.length)];
      if (rnd(4) === 0) s += '__' + rnd(0xffffffff).toString(16).padStart(8, '0') + 'ab';
      names.add(s);
    }
    for (const d of DIALECTS) {
      const seen = new Map<string, string>();
      for (const n of names) {
        const out = replicaTableName(n, TABLE_NAME_RULES[d]);
        const key = TABLE_NAME_RULES[d].caseInsensitive ? out.toLowerCase() : out;
        assert.ok(!seen.has(key), `${d}: ${JSON.stringify(n)} and ${JSON.stringify(seen.get(key))} -> ${out}`);
        assert.ok(!isProductName(d, out), `${d}: ${n} -> ${out}`);
        seen.set(key, n);
      }
    }
    assert.equal(names.size, 3000);
  });

  it('the independent reader of the test harness finds the same names (it re-implements the documented rule)', () => {
    const sqlite = new SqliteDialect({ tablePrefix: '' });
    const sqlitePrefixed = new SqliteDialect({ tablePrefix: 'Mirror' });
    const pgd = new PostgresDialect({ tablePrefix: '' });
    for (const n of HOSTILE) {
      const ref = { schema: 'crm_x', name: n };
      assert.equal(destinationOf('sqlite', '', 'crm_x', n).table, sqlite.tableName(ref), n);
      assert.equal(destinationOf('sqlite', 'Mirror', 'crm_x', n).table, sqlitePrefixed.tableName(ref), n);
      assert.equal(destinationOf('postgres', '', 'crm_x', n).table, pgd.tableName(ref), n);
    }
  });
});

describe('the dialects use the rule', () => {
  const def = (name: string): TableDef => ({ schema: 'crm', name, columns: [{ name: 'id', type: { kind: 'int', bits: 32 }, nullable: false, defaultValue: 5 }], primaryKey: ['id'] });

  it('SQLite, PostgreSQL and SQL Server qualify Casey, casey and _ReplicationState apart from each other and from the state table', () => {
    const sqlite = new SqliteDialect({ tablePrefix: '' });
    const pgd = new PostgresDialect({ tablePrefix: 'public' });
    const ss = createNaming('dbo');
    const names = ['Casey', 'casey', '_ReplicationState'];
    const q = { sqlite: names.map((n) => sqlite.qualify(def(n))), postgres: names.map((n) => pgd.qualify(def(n))), sqlserver: names.map((n) => ss.qualify(def(n))) };
    assert.equal(new Set(q.sqlite.map((s) => s.toLowerCase())).size, 3);
    assert.ok(!q.sqlite.map((s) => s.toLowerCase()).includes(sqlite.quoteIdent(STATE_TABLE).toLowerCase()));
    assert.equal(new Set(q.postgres).size, 3);
    assert.ok(!q.postgres.includes(pgd.stateTable()), q.postgres.join());
    assert.equal(new Set(q.sqlserver.map((s) => s.toLowerCase())).size, 3);
    assert.ok(!q.sqlserver.map((s) => s.toLowerCase()).includes(ss.stateTable.toLowerCase()));
  });

  it('SQL Server constraint names (per schema, case-insensitive) follow the replica name', () => {
    const ss = createNaming('');
    const a = createTableSql(ss, def('Casey')).join('\n');
    const b = createTableSql(ss, def('casey')).join('\n');
    const constraints = (sql: string): string[] => [...sql.matchAll(/CONSTRAINT (\[[^\]]+\])/g)].map((m) => m[1]!.toLowerCase());
    for (const c of constraints(a)) assert.ok(!constraints(b).includes(c), c);
    assert.ok(!constraints(createTableSql(ss, def('_ReplicationState')).join('\n')).includes('[pk__replicationstate]'));
  });

  it('sweep sets of case variants are two tables', () => {
    assert.notEqual(seenTableName({ schema: 'crm', name: 'Casey' }).toLowerCase(), seenTableName({ schema: 'crm', name: 'casey' }).toLowerCase());
    assert.equal(seenTableName({ schema: 'crm', name: 'contact' }), seenTableName({ schema: 'crm', name: 'contact' }));
  });
});

describe('table identity', () => {
  const rec = (schema: string, name: string, id = tableId({ schema, name })): TableRecord => ({
    id, schema, name, collection: `${schema}.${name}`, def: { schema, name, columns: [], primaryKey: ['id'] }, hash: 'h', previousHashes: [],
    state: 'ok', staleReason: null, error: null, sweep: null, snapshot: null, createdAt: 0,
  });

  it('ids keep the source\'s case; an all-lower-case id is what it always was', () => {
    assert.equal(tableId({ schema: 'crm', name: 'Casey' }), 'crm.Casey');
    assert.equal(tableId({ schema: 'crm', name: 'casey' }), 'crm.casey');
  });

  it('the registry holds Casey and casey as two tables, and never hands one out for the other', () => {
    const r = new TableRegistry();
    r.put(rec('crm', 'Casey'));
    assert.equal(r.get('crm.casey'), undefined);
    r.put(rec('crm', 'casey'));
    assert.equal(r.all().length, 2);
    assert.equal(r.get('crm.Casey')!.name, 'Casey');
    assert.equal(r.get('crm.casey')!.name, 'casey');
    assert.deepEqual(r.takeDirty().map((s) => s.id).sort(), ['table:crm.Casey', 'table:crm.casey']);
    // Typed by a user: exact first, one case-insensitive match otherwise, never a guess between two.
    assert.equal(r.lookup('crm.Casey')!.name, 'Casey');
    assert.equal(r.lookup('CRM.CASEY'), undefined);
    r.remove('crm.casey');
    assert.equal(r.lookup('CRM.CASEY')!.name, 'Casey');
  });

  it('a record stored under an old lower-cased id is filed under its exact id; a row under the exact id wins in either order', () => {
    const legacy = rec('crm', 'Contact', 'crm.contact');
    legacy.state = 'stale';
    const current = rec('crm', 'Contact');
    for (const order of [[legacy, current], [current, legacy]]) {
      const r = new TableRegistry();
      for (const x of order) r.records.set(x.id, structuredClone(x));
      assert.deepEqual([...r.records.keys()], ['crm.Contact']);
      assert.equal(r.get('crm.Contact')!.state, 'ok');
    }
    const r = new TableRegistry();
    r.records.set('crm.contact', structuredClone(legacy));
    assert.equal(r.get('crm.Contact')!.id, 'crm.Contact');
    assert.equal(r.get('crm.contact'), undefined);
  });
});
