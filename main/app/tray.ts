/** The tray icon and menu (Electron). State and menu content come from the pure tray-state/tray-menu. */
import { Menu, Tray, nativeImage } from 'electron';
import path from 'node:path';
import type { EngineStatus } from '../../preload/contract/status.ts';
import { buildTrayMenu } from './tray-menu.ts';
import type { TrayAction } from './tray-menu.ts';
import { TRAY_HEALTHS } from './tray-state.ts';
import type { TrayHealth, TrayView } from './tray-state.ts';

export interface AppTray {
  render(view: TrayView, status: EngineStatus | null): void;
  destroy(): void;
}

export function createAppTray(iconDir: string, onAction: (action: TrayAction) => void, onClick: () => void): AppTray {
  const icons = new Map(TRAY_HEALTHS.map((h) => [h, nativeImage.createFromPath(path.join(iconDir, `tray-${h}.png`))] as const));
  const iconFor = (h: TrayHealth) => icons.get(h) ?? nativeImage.createEmpty();
  const tray = new Tray(iconFor('paused'));
  tray.on('click', onClick);
  let lastKey = '';
  return {
    render(view, status) {
      tray.setImage(iconFor(view.health));
      tray.setToolTip(view.tooltip);
      const items = buildTrayMenu(status);
      const key = JSON.stringify(items);
      if (key === lastKey) return; // rebuild the native menu only when it changes
      lastKey = key;
      tray.setContextMenu(Menu.buildFromTemplate(items.map((i) => (i.kind === 'separator'
        ? { type: 'separator' as const }
        : { label: i.label, enabled: i.enabled, click: () => onAction(i.action) }))));
    },
    destroy: () => tray.destroy(),
  };
}
