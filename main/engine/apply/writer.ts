/**
 * Writes one apply unit: retried with back-off while the error is transient (offsets never advance
 * meanwhile); a table-level failure is isolated by writing table by table, the failing table is halted
 * with its rows kept as poison records, and the rest commits with the offsets.
 */
import type { EngineContext } from '../context.ts';
import { sleep } from '../context.ts';
import { MirrorError } from '../errors.ts';
import type { ApplyUnit, RowDelta, StateRow } from '../replica/replica.ts';
import { toStateJson } from '../state/json.ts';
import { stateIds } from '../state/records.ts';
import type { PoisonRecord } from '../state/records.ts';
import { tableId } from '../schema/table-model.ts';
import { offsetRowNext } from '../replica/position-check.ts';

/** What this module uses of the engine's state (a narrow view of EngineContext). */
export type WriteDeps = Pick<EngineContext, 'events' | 'lease' | 'log' | 'registry' | 'replica' | 'setState' | 'settings' | 'stopping' | 'topics'>;

export interface WriteHooks { heartbeat(): Promise<void>; offsetRange: string }

export async function writeUnit(ctx: WriteDeps, unit: ApplyUnit, hooks: WriteHooks): Promise<void> {
  if (ctx.lease && !unit.lease) unit = { ...unit, lease: ctx.lease.guard() };
  let delay = ctx.settings.retryInitialMs;
  let attempt = 0;
  for (;;) {
    try {
      countRows(ctx, unit, await ctx.replica.apply(unit));
      if (attempt > 0) ctx.setState('streaming', 'replica writes recovered');
      return;
    } catch (err) {
      const c = ctx.replica.classifyError(err);
      // A retry finds the unit's own offset in the replica: its commit went through, only the answer was
      // lost with the connection. Done, not a replica that went back.
      if (c.code === 'REPLICA_WENT_BACK' && attempt > 0 && committedAlready(unit, err)) {
        for (const tc of unit.tables) ctx.registry.rowsUnknown(tableId(tc.table)); // what it inserted is not known: counted again
        ctx.setState('streaming', 'replica writes recovered');
        ctx.log.warn('a batch committed although its answer was lost; not written again', { offsets: hooks.offsetRange });
        return;
      }
      // Another process holds the replica now, or the replica went back to an earlier position: retrying
      // this unit cannot be right and must not halt tables; the engine stops or re-reads its position.
      if (c.code === 'REPLICA_LEASE_LOST' || c.code === 'REPLICA_WENT_BACK') throw err;
      // Its _ReplicationState gone (classified-error.ts stateTableGone): no write can be right; the engine stops.
      if (c.code === 'REPLICA_NOT_PROVISIONED') throw new MirrorError(c.code, c.hint, { cause: err });
      attempt++;
      if (c.action === 'halt-table' && unit.tables.length > 0) {
        await isolate(ctx, unit, hooks);
        return;
      }
      const message = `${(err as Error).message ?? String(err)} — ${c.hint}`;
      ctx.events.emit('error', { error: { code: c.code, message, retriable: c.action === 'retry' }, table: null });
      ctx.setState(c.action === 'retry' ? 'retrying' : 'error', message);
      ctx.log.warn('batch write failed; retrying', { attempt, action: c.action, code: c.code, error: (err as Error).message });
      if (ctx.stopping) throw err;
      const until = Date.now() + delay;
      while (Date.now() < until && !ctx.stopping) { await sleep(Math.min(1000, until - Date.now())); await hooks.heartbeat().catch(() => undefined); }
      delay = Math.min(ctx.settings.retryMaxMs, delay * 2);
    }
  }
}

async function isolate(ctx: WriteDeps, unit: ApplyUnit, hooks: WriteHooks): Promise<void> {
  const extra: StateRow[] = [];
  for (const tc of unit.tables) {
    try {
      const one: ApplyUnit = { tables: [tc], state: [], ...withGuards(unit) };
      countRows(ctx, one, await ctx.replica.apply(one));
    } catch (err) {
      const c = ctx.replica.classifyError(err);
      if (c.action !== 'halt-table') throw err; // transient after all: the caller's retry loop starts over
      const id = tableId(tc.table);
      const rec = ctx.registry.get(id);
      const message = `${(err as Error).message} — ${c.hint}`;
      if (rec) {
        rec.state = 'halted';
        rec.error = { code: c.code, message, retriable: false, detail: { table: id, offsets: hooks.offsetRange } };
        ctx.registry.put(rec);
      }
      const poison: PoisonRecord = {
        topic: ctx.topics.cdc, partition: -1, offset: hooks.offsetRange, table: id, code: c.code, reason: message, key: null,
        value: toStateJson({ upserts: tc.upserts, deletes: tc.deletes }).slice(0, 65536), at: Date.now(),
      };
      extra.push({ id: stateIds.poison(ctx.topics.cdc, -1, `${id}@${hooks.offsetRange}`), kind: 'poison', value: toStateJson(poison) });
      ctx.events.emit('error', { error: rec?.error ?? { code: c.code, message, retriable: false }, table: id });
      ctx.log.error('table halted after a write error', { table: id, code: c.code, error: (err as Error).message });
    }
  }
  await writeUnit(ctx, { tables: [], state: [...unit.state, ...ctx.registry.takeDirty(), ...extra], ...withGuards(unit) }, hooks);
}

/** Row counts follow what a committed unit inserted and deleted, table by table. */
function countRows(ctx: WriteDeps, unit: ApplyUnit, deltas: readonly RowDelta[]): void {
  const at = Date.now();
  unit.tables.forEach((tc, i) => {
    const d = deltas[i];
    if (d) ctx.registry.rowsChanged(tableId(tc.table), d.inserted, d.deleted, at);
    else ctx.registry.rowsUnknown(tableId(tc.table));
  });
}

/** Whether the replica's offset row (REPLICA_WENT_BACK's `stored`) is the one this unit writes: it committed. */
function committedAlready(unit: ApplyUnit, err: unknown): boolean {
  const own = unit.position ? unit.state.find((r) => r.id === unit.position!.id) : undefined;
  const next = own ? offsetRowNext(own.value) : null;
  return next !== null && next === (err as { detail?: Record<string, unknown> }).detail?.stored;
}

/** The unit's lease and position guards, for the units isolate() derives from it. */
function withGuards(unit: ApplyUnit): Pick<ApplyUnit, 'lease' | 'position'> {
  return { ...(unit.lease ? { lease: unit.lease } : {}), ...(unit.position ? { position: unit.position } : {}) };
}
