/**
 * A full snapshot's records are spread over partitions, so its `first` marker can be applied after its
 * `last`. The engine tells one snapshot from the next by the identity of its records (the source block
 * without per-record fields), checked here on envelopes recorded from the real MariaDB connector.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { decodeText } from '../harness/decode-text.ts';
import type { ChangeEvent } from '../../main/engine/decode/envelope.ts';
import { classifySnapshotRecord } from '../../main/engine/snapshot/attempts.ts';
import type { AttemptVerdict, FullSnapshot } from '../../main/engine/snapshot/attempts.ts';

const dir = join(import.meta.dirname, '../fixtures/mariadb');
const event = (name: string): ChangeEvent => {
  const f = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { key: string | null; value: string | null };
  const d = decodeText(new EnvelopeDecoder(), f.key, f.value);
  assert.equal(d.kind, 'change', name);
  return d as ChangeEvent;
};

describe('full snapshot identity', () => {
  it('every record of the initial snapshot carries the same identity, whatever its marker or table', () => {
    const keys = ['r-first', 'r-first_in_data_collection', 'r-true', 'r-last_in_data_collection', 'r-last', 'r-table-contact', 'r-table-projectmember']
      .map((n) => event(n).snapshotKey);
    assert.ok(keys.every((k) => typeof k === 'string' && k.length > 10), JSON.stringify(keys));
    assert.equal(new Set(keys).size, 1);
  });

  it('a later (blocking) snapshot has another identity; streaming and incremental records have none', () => {
    const initial = event('r-first').snapshotKey;
    const blocking = ['r-blocking-first', 'r-blocking-true', 'r-blocking-last'].map((n) => event(n).snapshotKey);
    assert.equal(new Set(blocking).size, 1);
    assert.notEqual(blocking[0], initial);
    assert.equal(event('r-incremental').snapshotKey, null);
    assert.equal(event('c-contact-defaults').snapshotKey, null);
    assert.equal(event('u-contact').snapshotKey, null);
  });

  it('classifies a record by its attempt (table of rules)', () => {
    const running = (key: string | null | undefined, keyTs = 100, olderKeys: string[] = []): FullSnapshot => ({ startedAt: 0, hadData: true, fence: null, lastSeen: false, keyTs, olderKeys, ...(key === undefined ? {} : { key }) });
    const none = { key: null, ts: null };
    const rules: Array<[string, FullSnapshot | null, { key: string | null; ts: number | null }, string, number, AttemptVerdict]> = [
      ['nothing running, nothing completed: a new episode', null, none, 'A', 50, 'start'],
      ['a straggler of the attempt that completed: plain upsert', null, { key: 'A', ts: 100 }, 'A', 90, 'straggler'],
      ['a record older than the completed attempt: plain upsert', null, { key: 'B', ts: 100 }, 'A', 90, 'straggler'],
      ['a new snapshot after a completed one', null, { key: 'A', ts: 100 }, 'B', 200, 'start'],
      ['`first` applied after `last` of the running attempt: same one', running('A'), none, 'A', 10, 'current'],
      ['a newer attempt while one runs: Debezium started over', running('A', 100), none, 'B', 200, 'restart'],
      ['a late record of an older attempt (another partition): never a restart', running('B', 200), none, 'A', 100, 'older'],
      ['an attempt already known as older stays older, whatever its timestamp', running('B', 200, ['A']), none, 'A', 300, 'older'],
      ['state from before identities: join the running one', running(undefined), none, 'B', 1, 'current'],
    ];
    for (const [why, run, done, key, ts, want] of rules) assert.equal(classifySnapshotRecord(run, done, key, ts), want, why);
  });

  it('interleaved attempts never flip-flop: after the newer one is seen, the older one stays older', () => {
    let fs: FullSnapshot | null = null;
    const seen: AttemptVerdict[] = [];
    const recs: Array<[string, number]> = [['A', 10], ['B', 20], ['A', 11], ['B', 21], ['A', 12], ['B', 22]];
    for (const [key, ts] of recs) {
      const v = classifySnapshotRecord(fs, { key: null, ts: null }, key, ts);
      seen.push(v);
      if (v === 'start') fs = { startedAt: 0, hadData: true, fence: null, lastSeen: false, key, keyTs: ts, olderKeys: [] };
      if (v === 'restart') fs = { ...fs!, olderKeys: [...(fs!.olderKeys ?? []), fs!.key!], key, keyTs: ts };
    }
    assert.deepEqual(seen, ['start', 'restart', 'older', 'current', 'older', 'current']);
  });
});
