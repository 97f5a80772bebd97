/**
 * A batch whose commit went through while its answer was lost with the connection: the retry's position
 * check finds the batch's own offset in the replica and the write is done (not a replica that went back);
 * any other position is still REPLICA_WENT_BACK.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { writeUnit, type WriteDeps } from '../../main/engine/apply/writer.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { EngineEmitter } from '../../main/engine/events.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { assertPositionHeld } from '../../main/engine/replica/position-check.ts';
import type { ApplyUnit, Replica } from '../../main/engine/replica/replica.ts';
import { TableRegistry } from '../../main/engine/tables.ts';

const id = 'offset:acme-cdc:0';
const unit: ApplyUnit = { tables: [], state: [{ id, kind: 'offset', value: JSON.stringify({ next: '120', at: 1 }) }], position: { id, next: '100' } };

/** A replica whose first apply commits and then loses its answer; the stored offset row is `stored` afterwards. */
function replicaLosingAnswer(storedAfter: string): { replica: Replica; applies: () => number } {
  let stored = JSON.stringify({ next: '100' });
  let n = 0;
  const replica = {
    async apply(u: ApplyUnit) {
      n++;
      if (u.position) assertPositionHeld(stored, u.position);
      stored = JSON.stringify({ next: storedAfter });
      if (n === 1) throw new MirrorError('REPLICA_UNREACHABLE', 'Connection terminated unexpectedly', { retriable: true });
    },
    classifyError(err: unknown) {
      const code = (err as MirrorError).code;
      return { action: code === 'REPLICA_UNREACHABLE' ? 'retry' : 'halt-all', code, hint: (err as Error).message };
    },
  } as unknown as Replica;
  return { replica, applies: () => n };
}

function deps(replica: Replica): WriteDeps {
  return {
    events: new EngineEmitter(), lease: null, log: silentLogger, registry: new TableRegistry(), replica,
    setState: () => undefined, settings: { retryInitialMs: 1, retryMaxMs: 2 } as WriteDeps['settings'], stopping: false,
    topics: { cdc: 'acme-cdc', schemaHistory: 'acme-schemahistory', signal: 'acme-signal', notifications: 'acme-notifications' },
  } as WriteDeps;
}

describe('writeUnit after a lost commit answer', () => {
  it('the retry finds the unit\'s own offset: done, written once', async () => {
    const r = replicaLosingAnswer('120');
    await writeUnit(deps(r.replica), unit, { heartbeat: async () => undefined, offsetRange: '0:100-119' });
    assert.equal(r.applies(), 2);
  });
  it('the retry finds another offset: REPLICA_WENT_BACK', async () => {
    const r = replicaLosingAnswer('90');
    await assert.rejects(writeUnit(deps(r.replica), unit, { heartbeat: async () => undefined, offsetRange: '0:100-119' }), { code: 'REPLICA_WENT_BACK' });
  });
});
