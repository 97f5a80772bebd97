/**
 * Which source tables are mirrored (main/engine/schema/table-filter.ts): Debezium's own tables, the
 * blocked list, include / exclude globs on `schema.table` or the table name, case-insensitively. The filter
 * keeps each table's verdict (it is asked for every event): asked again, or after more tables than it keeps,
 * it must answer as a fresh filter does, and two schemas' tables of one name are told apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createTableFilter } from '../../main/engine/schema/table-filter.ts';

const cases: [string, string, string][] = [
  ['crm', 'contact', 'mirror'], ['crm', 'Contact', 'mirror'], ['crm', 'debezium_signal', 'internal'],
  ['crm', 'LOGIN', 'blocked'], ['crm', 'person', 'excluded'], ['other', 'contact', 'excluded'], ['crm', 'sale', 'mirror'],
  ['crm', 'saledetail', 'excluded'], ['crm', 'udcontactsmall', 'excluded'],
];

test('verdicts: internal, blocked, include and exclude globs; asked again and after the kept verdicts are dropped, the same', () => {
  const settings = { include: ['crm.*'], exclude: ['person', 'crm.sale?*', 'ud*'], honourBlockedList: true };
  const filter = createTableFilter(settings);
  for (let round = 0; round < 3; round++) {
    for (const [schema, name, want] of cases) assert.equal(filter(schema, name), want, `${schema}.${name}, round ${round}`);
    // More tables than the filter keeps (10,000): it starts over, answering the same.
    for (let i = 0; i < 12_000; i++) assert.equal(filter(`s${i % 7}`, `t${i}`), 'excluded');
    for (let i = 0; i < 12_000; i += 997) assert.equal(filter('crm', `t${i}`), 'mirror');
  }
  const fresh = createTableFilter(settings);
  for (const [schema, name] of cases) assert.equal(filter(schema, name), fresh(schema, name));
});

test('without the blocked list, a blocked name is mirrored; with no globs, everything but internal tables', () => {
  const filter = createTableFilter({ include: [], exclude: [], honourBlockedList: false });
  assert.equal(filter('crm', 'login'), 'mirror');
  assert.equal(filter('crm', 'debezium_heartbeat'), 'internal');
  assert.equal(filter('x', 'anything'), 'mirror');
});
