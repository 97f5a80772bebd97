/**
 * A command waiting on a request handed to the running engine (patientReplica, lease-handoff.ts) rides out
 * the replica's server restarting, as the engine does, instead of ending with the driver's bare error as
 * INTERNAL: the control-plane soak (seed 5151, 2026-12-06) saw `resync-tables` exit 1 with
 * "error [INTERNAL]: connect ECONNREFUSED" while the engine it waited for went on and finished the resync.
 * The errors here are real: a connection refused by a closed port, classified by the PostgreSQL classifier.
 */
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { test } from 'node:test';
import { waitForTables } from '../../main/commands/lease-handoff.ts';
import { patientReplica } from '../../main/commands/patient-replica.ts';
import { MirrorError } from '../../main/engine/errors.ts';
import { makePostgresClassifier } from '../../main/engine/replica/postgres/errors.ts';
import type { StateKind, StateRow } from '../../main/engine/replica/replica.ts';
import { toStateJson } from '../../main/engine/state/json.ts';

/** A real ECONNREFUSED: a port that was listening a moment ago and is closed now. */
async function refused(): Promise<Error> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return new Promise<Error>((resolve) => { const s = connect(port, '127.0.0.1'); s.on('error', resolve); });
}

/** Table rows `resyncing` then `ok`; reads number `down` (a set of read numbers) fail with `err`. */
function replica(err: Error, down: Set<number>, okFrom: number) {
  let reads = 0;
  let writes = 0;
  return {
    get reads() { return reads; },
    get writes() { return writes; },
    classifyError: makePostgresClassifier({ user: 'mirror', database: 'replica' }),
    async readState(kind?: StateKind): Promise<StateRow[]> {
      if (down.has(++reads)) throw err;
      if (kind !== 'table') return [];
      return [{ id: 'table:crm.big', kind: 'table', value: toStateJson({ id: 'crm.big', state: reads >= okFrom ? 'ok' : 'resyncing', staleReason: null }) } as StateRow];
    },
    async writeState(_rows?: StateRow[]): Promise<void> { writes++; if (writes === 1) throw err; },
  };
}

const io = () => { const said: string[] = []; return { said, io: { out: (l: string) => { said.push(l); }, json: false } }; };

test('the replica unreachable for a while: the waiting command says so once, waits, and ends with the resync\'s outcome', async () => {
  const err = await refused();
  assert.equal((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
  const { said, io: out } = io();
  const r = replica(err, new Set([2, 3, 4, 5]), 8);
  const ok = await waitForTables(patientReplica(r, out.out, Date.now() + 10_000, 5), ['crm.big'], out, 10_000, undefined, { pollMs: 5 });
  assert.equal(ok, true, said.join('\n'));
  const text = said.join('\n');
  assert.equal(text.match(/the replica cannot be reached/g)?.length, 1, text);
  assert.match(text, /the replica cannot be reached \(PostgreSQL cannot be reached: connect ECONNREFUSED .*\); the engine retries, and this command waits for it/);
  assert.match(text, /the replica answers again; waiting on/);
  assert.match(text, /^ok\s+crm\.big/m);
});

test('the same outage without the patient wrapper ended the command with the driver\'s error (what the soak saw)', async () => {
  const err = await refused();
  const { io: out } = io();
  await assert.rejects(waitForTables(replica(err, new Set([2]), 8), ['crm.big'], out, 10_000, undefined, { pollMs: 5 }), (e: Error) => !(e instanceof MirrorError) && /ECONNREFUSED/.test(e.message));
});

test('writes are waited for the same way (a handed request withdrawn or cleared during an outage)', async () => {
  const err = await refused();
  const { said, io: out } = io();
  const r = replica(err, new Set(), 1);
  await patientReplica(r, out.out, Date.now() + 10_000, 5).writeState([]);
  assert.equal(r.writes, 2);
  assert.match(said.join('\n'), /the replica answers again/);
});

test('still unreachable at the command\'s deadline: REPLICA_UNREACHABLE with its hint, not INTERNAL', async () => {
  const err = await refused();
  const { io: out } = io();
  const r = replica(err, new Set(Array.from({ length: 1000 }, (_, i) => i + 1)), 1);
  await assert.rejects(patientReplica(r, out.out, Date.now() + 100, 5).readState('table'), (e: Error) => e instanceof MirrorError && e.code === 'REPLICA_UNREACHABLE' && /PostgreSQL cannot be reached/.test(e.message));
});

test('an error retrying cannot cure is not waited for: thrown at once, classified', async () => {
  const denied = Object.assign(new Error('permission denied for table _ReplicationState'), { code: '42501' });
  const { said, io: out } = io();
  const r = replica(denied, new Set([1]), 1);
  const t0 = Date.now();
  await assert.rejects(patientReplica(r, out.out, Date.now() + 10_000, 5).readState('table'), (e: Error) => e instanceof MirrorError && e.code === 'REPLICA_PERMISSION');
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(r.reads, 1);
  assert.deepEqual(said, []);
});
