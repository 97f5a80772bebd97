/**
 * The writer lease on PostgreSQL, inside a transaction the replica opened. Batches read the `lease` row
 * FOR SHARE (a taker's FOR UPDATE waits until the batch commits; a batch started after a takeover sees the
 * new epoch and rolls back); acquire / heartbeat / release read it FOR UPDATE.
 */
import type pg from 'pg';
import { LEASE_ID, type LeaseDecision, type LeaseGuard } from '../replica.ts';
import { assertLeaseHeld } from '../lease-check.ts';
import type { PostgresDialect } from './dialect.ts';

export function selectLeaseSql(d: PostgresDialect, lock: 'SHARE' | 'UPDATE'): string {
  return `SELECT "Value" FROM ${d.stateTable()} WHERE "Id" = $1 FOR ${lock}`;
}

/** First write of the row: never overwrites a row another transaction inserted meanwhile. */
export function insertLeaseSql(d: PostgresDialect): string {
  return `INSERT INTO ${d.stateTable()} ("Id", "Kind", "Value", "UpdatedUtc") VALUES ($1, 'lease', $2, now() AT TIME ZONE 'utc') ON CONFLICT ("Id") DO NOTHING`;
}

async function leaseValue(c: pg.Client, d: PostgresDialect, lock: 'SHARE' | 'UPDATE'): Promise<string | null> {
  const r = await c.query<{ Value: string }>(selectLeaseSql(d, lock), [LEASE_ID]);
  return r.rows[0]?.Value ?? null;
}

export async function checkLease(c: pg.Client, d: PostgresDialect, guard: LeaseGuard): Promise<void> {
  assertLeaseHeld(await leaseValue(c, d, 'SHARE'), guard);
}

export async function updateLeaseRow<T>(c: pg.Client, d: PostgresDialect, decide: (current: string | null) => LeaseDecision<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const current = await leaseValue(c, d, 'UPDATE');
    const out = decide(current);
    if (out.remove) {
      await c.query(`DELETE FROM ${d.stateTable()} WHERE "Id" = $1`, [LEASE_ID]);
    } else if (out.write !== undefined && current !== null) {
      await c.query(`UPDATE ${d.stateTable()} SET "Value" = $2, "UpdatedUtc" = now() AT TIME ZONE 'utc' WHERE "Id" = $1`, [LEASE_ID, out.write]);
    } else if (out.write !== undefined) {
      // FOR UPDATE locks nothing when the row is absent: a concurrent first acquire may insert it. The
      // insert then waits for that transaction, does nothing, and the row is read again (now locked).
      const r = await c.query(insertLeaseSql(d), [LEASE_ID, out.write]);
      if ((r.rowCount ?? 0) === 0 && attempt < 3) continue;
    }
    return out.result;
  }
}
