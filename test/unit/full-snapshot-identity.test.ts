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
import type { ChangeEvent } from '../../main/engine/decode/envelope.ts';
import { startsFullSnapshot } from '../../main/engine/snapshots.ts';

const dir = join(import.meta.dirname, '../fixtures/mariadb');
const event = (name: string): ChangeEvent => {
  const f = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { key: string | null; value: string | null };
  const d = new EnvelopeDecoder().decode(f.key, f.value);
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

  it('decides when a record starts a full snapshot', () => {
    const running = (key: string | null | undefined) => ({ startedAt: 0, hadData: false, fence: null, lastSeen: true, ...(key === undefined ? {} : { key }) });
    assert.equal(startsFullSnapshot(null, null, 'A'), true, 'nothing running, nothing completed: start');
    assert.equal(startsFullSnapshot(null, 'A', 'A'), false, 'a straggler of the snapshot that completed: plain upsert');
    assert.equal(startsFullSnapshot(null, 'A', 'B'), true, 'a new snapshot after a completed one');
    assert.equal(startsFullSnapshot(running('A'), null, 'A'), false, '`first` applied after `last` of the running snapshot: same one');
    assert.equal(startsFullSnapshot(running('A'), null, 'B'), true, 'another snapshot while one runs: start over');
    assert.equal(startsFullSnapshot(running(undefined), null, 'B'), false, 'state from before identities: join the running one');
  });
});
