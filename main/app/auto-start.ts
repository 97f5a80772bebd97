/**
 * Start at login. Windows/macOS: `app.setLoginItemSettings` (with the same path/args when reading it
 * back, otherwise `openAtLogin` reads false). Linux: an XDG autostart entry. Pure over adapters.
 */
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface LoginItemApp {
  setLoginItemSettings(s: { openAtLogin: boolean; path?: string; args?: string[] }): void;
  getLoginItemSettings(o?: { path?: string; args?: string[] }): { openAtLogin: boolean };
}

export interface AutoStart {
  set(enabled: boolean): Promise<boolean>;
  get(): Promise<boolean>;
}

export const HIDDEN_ARG = '--hidden';

export function createLoginItemAutoStart(app: LoginItemApp, exePath: string): AutoStart {
  const args = [HIDDEN_ARG];
  return {
    async set(enabled) {
      app.setLoginItemSettings({ openAtLogin: enabled, path: exePath, args });
      return app.getLoginItemSettings({ path: exePath, args }).openAtLogin;
    },
    async get() {
      return app.getLoginItemSettings({ path: exePath, args }).openAtLogin;
    },
  };
}

/** `configHome` is `$XDG_CONFIG_HOME` or `~/.config`. */
export function createXdgAutoStart(configHome: string, exePath: string, name = 'tenant-mirror'): AutoStart {
  const file = path.join(configHome, 'autostart', `${name}.desktop`);
  const quoted = /[\s"']/.test(exePath) ? `"${exePath.replace(/(["\\`$])/g, '\\$1')}"` : exePath;
  const entry = ['[Desktop Entry]', 'Type=Application', 'Name=Tenant Mirror', `Exec=${quoted} ${HIDDEN_ARG}`, 'X-GNOME-Autostart-enabled=true', ''].join('\n');
  return {
    async set(enabled) {
      if (enabled) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, entry);
      } else {
        await rm(file, { force: true });
      }
      return enabled;
    },
    async get() {
      try {
        return (await readFile(file, 'utf8')).includes(`Exec=${quoted}`);
      } catch {
        return false;
      }
    },
  };
}
