/**
 * A full snapshot attempt's identity (snapshotKeyOf): the source block without its per-record fields.
 * The last key is reused for the next record of the same attempt, so a reuse must never give one
 * attempt's key to another: every identity field, a field more or less, and object values count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { snapshotKeyOf } from '../../main/engine/decode/envelope.ts';

const base = { version: '3.2.0.Final', connector: 'mysql', name: 't1', ts_ms: 1, snapshot: 'true', db: 'crm', table: 'contact', server_id: 0, gtid: null, file: 'bin.000003', pos: 1234, row: 0 };
const fresh = (o: Record<string, unknown>): string => JSON.stringify(Object.keys(o).filter((k) => !['ts_ms', 'snapshot', 'table', 'row'].includes(k)).sort().map((k) => [k, o[k]]));

test('records of one attempt share a key whatever their per-record fields; any identity difference gives another key', () => {
  const variants: Record<string, unknown>[] = [
    base,
    { ...base, ts_ms: 99, table: 'account', row: 7, snapshot: 'last' },
    { ...base, pos: 1235 },
    { ...base, file: 'bin.000004' },
    { ...base, gtid: '0-1-5' },
    { ...base, extra: 'x' },
    (() => { const { server_id: _s, ...rest } = base; return rest; })(),
    { ...base, server_id: undefined },
    { ...base, sequence: { a: 1 } },
    { ...base, sequence: { a: 2 } },
    base,
  ];
  for (let round = 0; round < 2; round++) {
    for (const v of variants) assert.equal(snapshotKeyOf(v), fresh(v), JSON.stringify(v));
    for (const v of [...variants].reverse()) assert.equal(snapshotKeyOf(v), fresh(v), JSON.stringify(v));
  }
  assert.equal(snapshotKeyOf(variants[1]!), snapshotKeyOf(base));
  assert.notEqual(snapshotKeyOf(variants[2]!), snapshotKeyOf(base));
});
