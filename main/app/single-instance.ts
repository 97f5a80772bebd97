/**
 * Single-instance lock: a second launch hands off to the first (which shows and focuses its window,
 * opening the view named by `--open=<view>` if given) and quits. Pure over an adapter of `app`.
 */
import type { AppView } from '../../preload/contract/api.ts';

export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  on(event: 'second-instance', listener: (event: unknown, argv: string[]) => void): void;
}

const VIEWS: readonly AppView[] = ['status', 'tables', 'settings'];

/** `--open=tables` → 'tables'; anything else → null. */
export function viewFromArgv(argv: readonly string[]): AppView | null {
  for (const a of argv) {
    const m = /^--open=(.+)$/.exec(a);
    if (m && (VIEWS as readonly string[]).includes(m[1] as string)) return m[1] as AppView;
  }
  return null;
}

/** Returns false when another instance holds the lock (this one is quitting). */
export function claimSingleInstance(app: SingleInstanceApp, focus: (view: AppView | null) => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv) => focus(viewFromArgv(argv)));
  return true;
}
