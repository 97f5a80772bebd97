import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constraintName, quoteIdent, quoteString } from '../../main/engine/replica/sqlserver/quote.ts';
import { SqlServerDialect } from '../../main/engine/replica/sqlserver/dialect.ts';

describe('SQL Server identifier quoting', () => {
  const cases: Array<[string, string]> = [
    ['contact', '[contact]'],
    ['a]b', '[a]]b]'],
    [']]', '[]]]]]'],
    ['[x]', '[[x]]]'],
    ['first name', '[first name]'],
    ["O'Neil", "[O'Neil]"],
    ['a"b', '[a"b]'],
    ['x; DROP TABLE y; --', '[x; DROP TABLE y; --]'],
    ['Straße_名前_😀', '[Straße_名前_😀]'],
    ['#temp', '[#temp]'],
  ];
  for (const [name, quoted] of cases) {
    it(`quotes ${JSON.stringify(name)}`, () => assert.equal(quoteIdent(name), quoted));
  }

  it('accepts exactly 128 characters', () => {
    assert.equal(quoteIdent('a'.repeat(128)), `[${'a'.repeat(128)}]`);
  });

  it('rejects 129 characters with a clear message', () => {
    assert.throws(() => quoteIdent('a'.repeat(129)), /129 characters long, the limit is 128/);
  });

  it('counts UTF-16 code units as SQL Server does (sysname = nvarchar(128))', () => {
    assert.throws(() => quoteIdent('😀'.repeat(65)), /130 characters long/);
  });

  it('rejects empty names and NUL', () => {
    assert.throws(() => quoteIdent(''), /empty/);
    assert.throws(() => quoteIdent('a\u0000b'), /NUL/);
  });

  it('quotes string literals as N\'…\' with quotes doubled', () => {
    assert.equal(quoteString("it's"), "N'it''s'");
    assert.equal(quoteString('名前'), "N'名前'");
  });

  it('hashes constraint names past 128 characters, deterministically', () => {
    assert.equal(constraintName('PK', 'contact'), 'PK_contact');
    const long = constraintName('DF', 'x'.repeat(100), 'y'.repeat(40));
    assert.match(long, /^DF_[0-9a-f]{16}$/);
    assert.equal(long, constraintName('DF', 'x'.repeat(100), 'y'.repeat(40)));
  });

  it('qualifies with the source schema, or the tablePrefix when set', () => {
    assert.equal(new SqlServerDialect({ tablePrefix: '' }).qualify({ schema: 'crm7', name: 'contact' }), '[crm7].[contact]');
    assert.equal(new SqlServerDialect({ tablePrefix: 'mirror]x' }).qualify({ schema: 'crm7', name: 'a]b' }), '[mirror]]x].[a]]b]');
  });

  it('a table name beyond 128 characters gets its replica name: cut, with a hash of the whole name (docs/naming.md)', () => {
    const d = new SqlServerDialect({ tablePrefix: '' });
    const a = d.qualify({ schema: 'crm7', name: 'n'.repeat(200) });
    const b = d.qualify({ schema: 'crm7', name: 'n'.repeat(199) + 'm' });
    assert.match(a, /^\[crm7\]\.\[n{116}__[0-9a-f]{10}\]$/);
    assert.notEqual(a.toLowerCase(), b.toLowerCase());
  });
});

describe('SQL Server identifier errors', () => {
  it('classifies a too-long name as SCHEMA_CONFLICT (the table halts, the hint says why)', async () => {
    const { classifySqlServerError } = await import('../../main/engine/replica/sqlserver/errors.ts');
    let err: unknown;
    try { quoteIdent('x'.repeat(200)); } catch (e) { err = e; }
    const c = classifySqlServerError(err);
    assert.deepEqual([c.action, c.code], ['halt-table', 'SCHEMA_CONFLICT']);
    assert.match(c.hint, /long/);
  });
});
