/**
 * Which engine events become desktop notifications: a stale gap, a halted table, the engine
 * failing, and the recovery from each. Pure apart from the injected notifier and throttle; clicking
 * a notification opens the relevant view.
 */
import type { AppView } from '../../preload/contract/api.ts';
import type { EngineEvents } from '../../preload/contract/status.ts';
import type { NotifyThrottle } from './notify-throttle.ts';

export interface NotificationSpec {
  title: string;
  body: string;
  view: AppView;
  table: string | null;
}

/** The Electron Notification adapter (`notifier-electron.ts`) or a test double. */
export interface Notifier {
  show(spec: NotificationSpec, onClick: () => void): void;
}

export interface EventSource {
  on<K extends keyof EngineEvents>(event: K, listener: (payload: EngineEvents[K]) => void): () => void;
}

export interface NotificationDeps {
  notifier: Notifier;
  throttle: NotifyThrottle;
  open: (view: AppView, table: string | null) => void;
}

type Intent = { key: string; kind: 'problem' | 'recovery'; spec: NotificationSpec };

/** Maps one engine event to a notification intent, or null. Pure. */
export function intentFor<K extends keyof EngineEvents>(event: K, payload: EngineEvents[K]): Intent | null {
  switch (event) {
    case 'table-stale': {
      const p = payload as EngineEvents['table-stale'];
      const gap = p.gap ? ` Events ${p.gap.fromOffset}…${p.gap.toOffset} on ${p.gap.topic}[${p.gap.partition}] were purged before they were applied.` : '';
      return { key: `table:${p.table}`, kind: 'problem', spec: { title: `${p.table} is stale`, body: `${p.reason}.${gap} A resync is needed.`, view: 'tables', table: p.table } };
    }
    case 'table-recovered': {
      const p = payload as EngineEvents['table-recovered'];
      return { key: `table:${p.table}`, kind: 'recovery', spec: { title: `${p.table} is back in step`, body: 'The table is replicating again.', view: 'tables', table: p.table } };
    }
    case 'error': {
      const p = payload as EngineEvents['error'];
      if (p.error.code === 'SNAPSHOT_STALLED') return { key: 'snapshot', kind: 'problem', spec: { title: 'Snapshot stalled', body: p.error.message, view: 'tables', table: null } };
      if (p.error.code === 'RESYNC_PAUSED') return { key: `table:${p.table ?? '?'}`, kind: 'problem', spec: { title: `${p.table ?? 'A table'}: resync paused`, body: p.error.message, view: 'tables', table: p.table } };
      if (p.error.code === 'RESYNC_STALLED') return { key: `table:${p.table ?? '?'}`, kind: 'problem', spec: { title: `${p.table ?? 'A table'}: resync stalled`, body: p.error.message, view: 'tables', table: p.table } };
      if (p.error.code === 'TABLE_HALTED' || (p.table && !p.error.retriable)) {
        const table = p.table;
        return { key: `table:${table ?? '?'}`, kind: 'problem', spec: { title: `${table ?? 'A table'} halted`, body: p.error.message, view: 'tables', table } };
      }
      return null;
    }
    case 'state-changed': {
      const p = payload as EngineEvents['state-changed'];
      if (p.state === 'error') return { key: 'engine', kind: 'problem', spec: { title: 'Replication stopped', body: p.reason ?? 'The engine hit an error.', view: 'status', table: null } };
      if (p.state === 'streaming' && (p.previous === 'error' || p.previous === 'retrying')) {
        return { key: 'engine', kind: 'recovery', spec: { title: 'Replication recovered', body: 'Changes are flowing again.', view: 'status', table: null } };
      }
      return null;
    }
    default:
      return null;
  }
}

const WATCHED = ['table-stale', 'table-recovered', 'error', 'state-changed'] as const;

/** Subscribes to the engine events; returns an unsubscribe function. */
export function wireNotifications(source: EventSource, deps: NotificationDeps): () => void {
  const offs = WATCHED.map((event) => source.on(event, (payload: EngineEvents[typeof event]) => {
    const intent = intentFor(event, payload);
    if (!intent) return;
    const { show, suppressedBefore } = deps.throttle.admit(intent.key, intent.kind);
    if (!show) return;
    const spec = suppressedBefore
      ? { ...intent.spec, body: `${intent.spec.body} (${suppressedBefore} similar alert(s) were held back.)` }
      : intent.spec;
    deps.notifier.show(spec, () => deps.open(spec.view, spec.table));
  }));
  return () => offs.forEach((off) => off());
}
