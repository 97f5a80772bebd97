/** A resync's stall mark (RESYNC_STALLED, set by resendStalledSignals in resync.ts). */
import type { TableRecord } from '../state/records.ts';

/** The table's resync scan moved (or its resync ended): a RESYNC_STALLED on it no longer holds. */
export function clearStall(r: TableRecord): void {
  if (r.error?.code === 'RESYNC_STALLED') r.error = null;
}
