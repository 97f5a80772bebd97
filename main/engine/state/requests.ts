/**
 * Hand-off of CLI commands to the engine that holds the writer lease: the CLI writes a `request:<id>`
 * row (kind `request`, status pending), the engine's control loop runs it (request-runner.ts) and writes
 * the outcome into the row, the CLI polls the row, prints the outcome and deletes the row.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ErrorData } from '../errors.ts';
import { MirrorError } from '../errors.ts';
import type { LeaseGuard, Replica, StateRow } from '../replica/replica.ts';
import { fromStateJson, toStateJson } from './json.ts';

export type RequestSpec = { kind: 'resync-tables'; tables: string[] } | { kind: 'update-schema' };
export type RequestKind = RequestSpec['kind'];
export type RequestStatus = 'pending' | 'running' | 'done' | 'failed';

/** The value of a `request:<id>` row. */
export interface RequestRecord {
  id: string;
  kind: RequestKind;
  args: { tables?: string[] };
  submittedAt: number;
  /** `<command> on <host> pid <pid>` of the submitter. */
  submittedBy: string;
  status: RequestStatus;
  /** When the status last changed. */
  updatedAt: number;
  /** Runs of it begun by an engine (request-runner.ts); absent before the first. */
  attempts?: number;
  result?: unknown;
  error?: ErrorData;
}

export type RequestOutcome = { result: unknown } | { error: ErrorData };

export const POLL_MS = 500;
export const requestRowId = (id: string): string => `request:${id}`;

function row(rec: RequestRecord): StateRow {
  return { id: requestRowId(rec.id), kind: 'request', value: toStateJson(rec) };
}

function parse(value: string): RequestRecord | null {
  try {
    const r = fromStateJson<RequestRecord>(value);
    return typeof r.id === 'string' && typeof r.status === 'string' ? r : null;
  } catch {
    return null;
  }
}

/** A request as read, with the row's JSON as it was (what a guarded write of its next status expects there). */
export interface HeldRequest { rec: RequestRecord; value: string }

export async function readHeldRequests(replica: Pick<Replica, 'readState'>): Promise<HeldRequest[]> {
  return (await replica.readState('request')).flatMap((r) => {
    const rec = parse(r.value);
    return rec ? [{ rec, value: r.value }] : [];
  });
}

export async function readRequests(replica: Pick<Replica, 'readState'>): Promise<RequestRecord[]> {
  return (await readHeldRequests(replica)).map((h) => h.rec);
}

/** Writes a pending request; returns its id. */
export async function submitRequest(replica: Replica, spec: RequestSpec, submitter = 'tenant-mirror'): Promise<string> {
  const now = Date.now();
  const rec: RequestRecord = {
    id: randomUUID(), kind: spec.kind, args: spec.kind === 'resync-tables' ? { tables: spec.tables } : {},
    submittedAt: now, submittedBy: `${submitter} on ${hostname()} pid ${process.pid}`, status: 'pending', updatedAt: now,
  };
  await replica.writeState([row(rec)]);
  return rec.id;
}

/** Pending requests, oldest first. */
export async function readPendingRequests(replica: Replica): Promise<RequestRecord[]> {
  return (await readRequests(replica)).filter((r) => r.status === 'pending').sort((a, b) => a.submittedAt - b.submittedAt);
}

/** What `updateRequest` writes besides the status, and under which guards. */
export interface RequestUpdate {
  /** The run's result or error. */
  outcome?: RequestOutcome;
  /** Written under the writer lease when given. */
  lease?: LeaseGuard;
  /** The row's JSON as read: written only while the row still holds exactly that. */
  held?: string;
  /** Runs begun so far (request-runner.ts). */
  attempts?: number;
}

/**
 * Writes `rec` with a new status (and outcome, and `attempts` when given); under the writer lease when
 * `lease` is given. With `held` (the row's JSON as read), only while the row still holds exactly that, in
 * the same transaction: a row gone meanwhile (the replica went back, or its command withdrew it) is never
 * written again, and REPLICA_WENT_BACK is thrown. Returns what was written.
 */
export async function updateRequest(replica: Pick<Replica, 'writeState'>, rec: RequestRecord, status: RequestStatus, update: RequestUpdate = {}): Promise<HeldRequest> {
  const { outcome, lease, held, attempts } = update;
  const next: RequestRecord = { ...rec, status, updatedAt: Date.now() };
  if (attempts !== undefined) next.attempts = attempts;
  if (outcome && 'error' in outcome) next.error = outcome.error;
  else if (outcome) next.result = outcome.result;
  const r = row(next);
  await replica.writeState([r], [], lease, held === undefined ? [] : [{ id: r.id, value: held }]);
  return { rec: next, value: r.value };
}

/**
 * A request row gone while its command still waits on it. Nothing else deletes one (the engine forgets
 * finished rows only an hour after their last write): the replica went back to an earlier state under
 * the command — restored from a backup, or provisioned again — and what the request did went with it.
 */
export function requestGone(id: string, kind: RequestKind | null): MirrorError {
  return new MirrorError('REPLICA_WENT_BACK', `the ${kind ?? ''}${kind ? ' ' : ''}request ${id} is gone from _ReplicationState before this command ended: the replica went back to an earlier state (restored from a backup, or provisioned again) while it waited`, { retriable: true, detail: { request: id } });
}

/**
 * Polls request `id` every 500 ms until it is done (resolves with its result) or failed (rejects with
 * its error); the row is deleted then, unless `keep` (the caller deletes it when it is done with it). A
 * row gone meanwhile is REPLICA_WENT_BACK (requestGone). `onProgress` sees every status change. After
 * `timeoutMs`, or when `watch` (called on every poll, e.g. to see that the lease holder is still alive)
 * throws, a still pending request is withdrawn (deleted) and REQUEST_TIMEOUT (or watch's error) is thrown.
 */
export async function waitForResult(replica: Replica, id: string, timeoutMs: number, onProgress?: (r: RequestRecord) => void, watch?: (r: RequestRecord) => Promise<void>, keep = false): Promise<unknown> {
  const until = Date.now() + timeoutMs;
  let seen: RequestStatus | null = null;
  let kind: RequestKind | null = null;
  for (;;) {
    const rec = (await readRequests(replica)).find((r) => r.id === id);
    if (!rec) throw requestGone(id, kind);
    kind = rec.kind;
    if (rec.status !== seen) { seen = rec.status; onProgress?.(rec); }
    if (rec.status === 'done' || rec.status === 'failed') {
      if (!keep || rec.status === 'failed') await replica.writeState([], [requestRowId(id)]);
      if (rec.status === 'failed') throw MirrorError.fromData(rec.error ?? { code: 'INTERNAL', message: 'the request failed', retriable: false });
      return rec.result;
    }
    const withdrawn = rec.status === 'pending' ? '; the request was withdrawn' : '';
    try {
      if (Date.now() >= until) throw new MirrorError('REQUEST_TIMEOUT', `the running engine did not complete the ${rec.kind} request within ${Math.round(timeoutMs / 1000)} s (status ${rec.status}${withdrawn})`);
      await watch?.(rec);
    } catch (err) {
      if (rec.status === 'pending') await replica.writeState([], [requestRowId(id)]);
      throw err;
    }
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, until - Date.now()))));
  }
}
