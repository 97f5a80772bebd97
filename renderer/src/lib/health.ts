/** Overall health of the mirror, from an engine status. Pure. */
import type { EngineStatus } from '../../../preload/contract/status.ts';

export type HealthLevel = 'ok' | 'busy' | 'warn' | 'error' | 'idle';
export interface Health { level: HealthLevel; label: string; detail: string }

export function overallHealth(s: EngineStatus | null): Health {
  if (!s) return { level: 'idle', label: 'Connecting', detail: 'Waiting for the engine status.' };
  const halted = s.tables.filter((t) => t.state === 'halted').length;
  const stale = s.tables.filter((t) => t.state === 'stale').length;
  if (s.state === 'error') return { level: 'error', label: 'Stopped by an error', detail: s.lastError?.message ?? 'The engine stopped.' };
  if (halted > 0) return { level: 'error', label: `${halted} table${halted === 1 ? '' : 's'} halted`, detail: 'Fix the cause and resync.' };
  if (stale > 0) return { level: 'warn', label: `${stale} table${stale === 1 ? '' : 's'} stale`, detail: 'Events were purged before they were applied.' };
  const missing = s.notMirrored?.length ?? 0;
  if (missing > 0) return { level: 'warn', label: `${missing} source table${missing === 1 ? '' : 's'} not mirrored`, detail: 'No primary key at the source: the replica cannot hold it.' };
  if (s.state === 'retrying') return { level: 'warn', label: 'Retrying', detail: s.lastError?.message ?? 'A batch failed; retrying.' };
  if (s.state === 'paused') return { level: 'idle', label: 'Paused', detail: 'Changes are not applied until you resume.' };
  if (s.state === 'stopped') return { level: 'idle', label: 'Stopped', detail: 'The engine is not running.' };
  if (s.state === 'starting' || s.state === 'snapshotting' || s.tables.some((t) => t.state === 'snapshotting' || t.state === 'resyncing')) {
    return { level: 'busy', label: s.state === 'starting' ? 'Starting' : 'Snapshotting', detail: 'Copying table contents.' };
  }
  return { level: 'ok', label: 'Healthy', detail: 'Streaming changes.' };
}
