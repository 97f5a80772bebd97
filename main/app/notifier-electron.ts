/** Notifier over Electron's Notification. */
import { Notification } from 'electron';
import type { Notifier } from './notifications.ts';

export function createElectronNotifier(icon: string | undefined): Notifier {
  const live = new Set<Notification>(); // keep references so click handlers survive GC
  return {
    show(spec, onClick) {
      if (!Notification.isSupported()) return;
      const n = new Notification({ title: spec.title, body: spec.body, ...(icon ? { icon } : {}) });
      live.add(n);
      n.on('click', () => { live.delete(n); onClick(); });
      n.on('close', () => live.delete(n));
      n.show();
    },
  };
}
