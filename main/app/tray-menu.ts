/** The tray menu as data (pure); `tray.ts` renders it with Electron's Menu. */
import type { EngineStatus } from '../../preload/contract/status.ts';

export type TrayAction = 'open' | 'pause' | 'resume' | 'update-schema' | 'resync-stale' | 'quit';
export type TrayMenuItem = { kind: 'item'; action: TrayAction; label: string; enabled: boolean } | { kind: 'separator' };

export function staleTables(status: EngineStatus | null): string[] {
  return status ? status.tables.filter((t) => t.state === 'stale').map((t) => t.id) : [];
}

export function buildTrayMenu(status: EngineStatus | null): TrayMenuItem[] {
  const running = status !== null && status.state !== 'stopped';
  const paused = status?.state === 'paused';
  const stale = staleTables(status);
  return [
    { kind: 'item', action: 'open', label: 'Open Tenant Mirror', enabled: true },
    { kind: 'separator' },
    paused
      ? { kind: 'item', action: 'resume', label: 'Resume', enabled: true }
      : { kind: 'item', action: 'pause', label: 'Pause', enabled: running },
    { kind: 'item', action: 'update-schema', label: 'Update schema now', enabled: running && !paused },
    { kind: 'item', action: 'resync-stale', label: stale.length ? `Resync stale tables (${stale.length})` : 'Resync stale tables', enabled: running && stale.length > 0 },
    { kind: 'separator' },
    { kind: 'item', action: 'quit', label: 'Quit', enabled: true },
  ];
}
