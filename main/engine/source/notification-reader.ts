/**
 * `<ctx>-notifications`, read by the engine: where each partition is read from (fixed and stored before
 * any signal is sent, so a scan report that comes back fast is never skipped), and the consumer whose
 * messages are handled in the control loop, each with its offset stored after it.
 */
import type { Consumer } from 'kafkajs';
import type { EngineContext } from '../context.ts';
import { retrying, type RetryDeps } from '../apply/control-retry.ts';
import type { StateRow } from '../replica/replica.ts';
import { wakeForDueFences, type FenceCheckDeps } from '../snapshot/check.ts';
import { INITIAL_SCAN_ID } from '../snapshot/full-snapshot.ts';
import { endScanPause, pauseFromHistory, SCANS_PAUSED_ID, type ScansPaused } from '../snapshot/scan-pause.ts';
import { handleNotification, type NotificationDeps } from '../snapshot/notifications.ts';
import { fromStateJson, toStateJson } from '../state/json.ts';
import { stateIds, type OffsetRecord } from '../state/records.ts';
import { startNotificationConsumer } from './notification-consumer.ts';
import { parseNotification, type Notification } from './notifications.ts';
import { readTopicToEnd } from './read-topic.ts';
import { fetchWatermarks, type Watermark } from './watermarks.ts';

export type NotificationReaderDeps = NotificationDeps & RetryDeps & FenceCheckDeps & Pick<EngineContext, 'admin' | 'kafka' | 'log' | 'loop' | 'notifNext' | 'persist' | 'replica' | 'topics'>;

/**
 * Where each partition is read from: the stored offset when it is still in the topic, else (nothing
 * stored, or purged) the high watermark now, stored. Null when the topic cannot be read.
 */
export async function positionNotifications(c: NotificationReaderDeps): Promise<Map<number, Watermark> | null> {
  const topic = c.topics.notifications;
  c.notifNext.clear();
  for (const row of await c.replica.readState('offset')) {
    const m = /^offset:(.*):(\d+)$/.exec(row.id);
    if (m && m[1] === topic) c.notifNext.set(Number(m[2]), BigInt(fromStateJson<OffsetRecord>(row.value).next));
  }
  const marks = await fetchWatermarks(c.admin, topic).catch(() => null);
  if (!marks) { c.log.warn(`notifications topic ${topic} is not readable: resyncs will not complete`, {}); return null; }
  c.notifReplayEnd = new Map([...marks].map(([p, w]) => [p, BigInt(w.high)]));
  const rows: StateRow[] = [];
  const skipped = new Map<number, string>(); // partition → where reading begins now: what lies before is read for the pause alone
  for (const [p, w] of marks) {
    const stored = c.notifNext.get(p);
    if (stored !== undefined && stored >= BigInt(w.low) && stored <= BigInt(w.high)) continue;
    c.notifNext.set(p, BigInt(w.high));
    if (BigInt(w.high) > BigInt(w.low)) skipped.set(p, w.low);
    rows.push({ id: stateIds.offset(topic, p), kind: 'offset', value: JSON.stringify({ next: w.high, at: Date.now() }) });
  }
  const remove: string[] = [];
  const was = c.scansPaused ?? null;
  const paused = skipped.size ? await pauseBefore(c, skipped, marks, was) : was;
  if (paused !== was) {
    if (paused) rows.push({ id: SCANS_PAUSED_ID, kind: 'session', value: toStateJson(paused) });
    else { endScanPause(c); remove.push(SCANS_PAUSED_ID); rows.push(...c.registry.takeDirty()); }
    c.scansPaused = paused;
    if (paused) c.log.warn('the source connector\'s incremental snapshots are paused (a pause-snapshot signal before this replica read its notifications): resyncs wait for a resume-snapshot', { pausedAt: new Date(paused.at).toISOString() });
  }
  if (rows.length || remove.length) await c.persist(rows, remove);
  return marks;
}

/**
 * Whether the notifications this replica will never read (stored before it began reading: it is new,
 * or its position was purged) leave the connector's incremental snapshots paused, from the pause known
 * before (`was`). Unreadable: as known before.
 */
async function pauseBefore(c: NotificationReaderDeps, from: Map<number, string>, marks: Map<number, Watermark>, was: ScansPaused | null): Promise<ScansPaused | null> {
  const starts = new Map([...marks].map(([p, w]) => [p, from.get(p) ?? w.high]));
  try {
    const notes: Notification[] = [];
    for (const m of await readTopicToEnd(c.kafka, c.topics.notifications, starts)) {
      const end = marks.get(m.partition)?.high;
      if (!m.value || end === undefined || BigInt(m.offset) >= BigInt(end)) continue;
      try { const n = parseNotification(m.value); if (n) notes.push(n); } catch { /* unreadable: skipped, as when read in turn */ }
    }
    return pauseFromHistory(notes.sort((a, b) => a.timestamp - b.timestamp), was);
  } catch (err) {
    c.log.warn('could not read the earlier notifications to learn whether incremental snapshots are paused', { error: (err as Error).message });
    return was;
  }
}

/** Reads every partition from its position; each message is handled in the control loop, then `handled()` runs. */
export async function startNotificationReader(c: NotificationReaderDeps, groupId: string, handled: () => void, onCrash: (message: string, restarting: boolean) => void): Promise<Consumer> {
  const topic = c.topics.notifications;
  return startNotificationConsumer({
    kafka: c.kafka, topic, groupId,
    position: (p) => (c.notifNext.get(p) ?? 0n).toString(),
    stopping: () => c.stopping,
    onCrash,
    onSlow: (what, data) => c.log.warn(`notification reader: ${what}`, { groupId, ...data }),
    onMessage: async (partition, offset, value, timestamp) => {
      await c.loop.run('notification', async () => {
        if (value) {
          let n: Notification | null = null;
          try { n = parseNotification(value.toString('utf8')); } catch (err) {
            c.log.warn('unreadable notification skipped', { partition, offset, error: (err as Error).message });
          }
          const note = n && { ...n, at: `${partition}:${offset}`, sentAt: Number.isFinite(timestamp) ? timestamp : undefined };
          // A transient failure (a replica write) is retried: a scan report is never lost.
          if (note) await retrying(c, 'notification', () => handleNotification(c, note));
          wakeForDueFences(c); // a scan's end: its fence is read once due
        }
        const next = BigInt(offset) + 1n;
        c.notifNext.set(partition, next);
        const rows: StateRow[] = [{ id: stateIds.offset(topic, partition), kind: 'offset', value: JSON.stringify({ next: next.toString(), at: Date.now() }) }];
        if (c.initialScan) rows.push({ id: INITIAL_SCAN_ID, kind: 'session' as const, value: toStateJson(c.initialScan) });
        await c.persist(rows);
      });
      handled();
    },
  });
}
