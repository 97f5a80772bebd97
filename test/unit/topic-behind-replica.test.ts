/** The running engine's check that the change topic was not deleted and created again under it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { topicBehindReplica } from '../../main/engine/source/offset-check.ts';

const marks = (...highs: number[]) => new Map(highs.map((h, p) => [p, { partition: p, low: '0', high: String(h) }]));
const applied = (...nexts: number[]) => new Map(nexts.map((n, p) => [p, BigInt(n)]));

describe('topic behind the replica', () => {
  const cases: Array<{ name: string; applied: Map<number, bigint>; marks: ReturnType<typeof marks>; partitions: number; code: string | null; says?: RegExp }> = [
    { name: 'applied up to the end: well', applied: applied(10, 20, 30), marks: marks(10, 20, 30), partitions: 3, code: null },
    { name: 'the topic has grown: well', applied: applied(10, 20, 30), marks: marks(15, 20, 99), partitions: 3, code: null },
    { name: 'nothing applied yet: well', applied: applied(), marks: marks(0, 0, 0), partitions: 3, code: null },
    { name: 'one partition ends before what was applied (recreated)', applied: applied(10, 20, 30), marks: marks(10, 3, 30), partitions: 3, code: 'OFFSET_AHEAD', says: /partition 1: next offset 20, end of partition 3/ },
    { name: 'a partition is gone', applied: applied(10, 20, 30), marks: marks(10, 20), partitions: 3, code: 'TOPIC_CHANGED', says: /partitions 2 no longer exist/ },
    { name: 'a partition was added', applied: applied(10, 20, 30), marks: marks(10, 20, 30, 0), partitions: 3, code: 'TOPIC_CHANGED', says: /4 partition\(s\) now, 3 when the engine started/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = topicBehindReplica('acme-cdc', c.applied, c.marks, c.partitions);
      assert.equal(err?.code ?? null, c.code);
      if (c.says) assert.match(err!.message, c.says);
      if (err) assert.match(err.message, /reset-offsets/, 'the error names the recovery command');
    });
  }
});
