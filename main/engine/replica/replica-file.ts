/**
 * A SQLite replica's file that is not there yet: only `provision` creates it. `info` says so and reads
 * nothing; `sync`, `update-schema`, `resync-tables` and `reset-offsets` end with exit 4 saying so, and the
 * engine's start that is not a provision's (serve, the desktop app) fails with it, instead of creating an
 * empty database file with only _ReplicationState in it (until 2026-12-07 a mistyped path left such a file
 * behind).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { replicaLabel } from '../../../preload/contract/replica-label.ts';
import type { Settings } from '../../../preload/contract/settings.ts';
import { MirrorError } from '../errors.ts';

/** What is missing (the sentence to print), or null when the replica is not a SQLite file (or SQLite's `:memory:`) or the file exists. */
export function missingReplicaFile(settings: Pick<Settings, 'replica'>): string | null {
  if (settings.replica.kind !== 'sqlite' || settings.replica.file === ':memory:') return null;
  const file = resolve(settings.replica.file);
  return existsSync(file) ? null : `no replica at ${file} yet: run \`tenant-mirror provision\``;
}

/** Throws REPLICA_NOT_PROVISIONED (exit 4) when the replica is a SQLite file not there yet. */
export function assertReplicaFileExists(settings: Pick<Settings, 'replica'>): void {
  const missing = missingReplicaFile(settings);
  if (missing) throw new MirrorError('REPLICA_NOT_PROVISIONED', missing);
}

/**
 * REPLICA_NOT_PROVISIONED (exit 4) for a replica database with no `_ReplicationState`: a start that is not
 * a provision's creates nothing in it (until 2026-12-07 evening `sync`, `update-schema` or serve pointed at
 * the wrong PostgreSQL or SQL Server database created `_ReplicationState` and a lease in it, then said "no session").
 */
export function notProvisioned(settings: Pick<Settings, 'replica'>): MirrorError {
  const r = settings.replica;
  const place = r.kind === 'sqlite' && r.file !== ':memory:' ? { ...r, file: resolve(r.file) } : r;
  return new MirrorError('REPLICA_NOT_PROVISIONED', `no Tenant Mirror replica in ${replicaLabel(place)} yet (it has no _ReplicationState; nothing was created in it): run \`tenant-mirror provision\` first, or check the replica settings`);
}
