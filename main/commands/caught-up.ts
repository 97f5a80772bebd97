/**
 * "Caught up" for `sync --until-caught-up` and `provision`: the predicate holds on the engine's status,
 * and the source connector is not visibly still publishing (connector-behind.ts). When the newest change
 * read was produced a moment ago, it looks again after CONNECTOR_SETTLE_MS, and after CONNECTOR_QUIET_MS when
 * that change was written seconds after its commit (a connector behind pauses between batches): nothing
 * new, or newer changes from a current connector (a steady stream), is caught up; more changes of the same
 * source commit (a large transaction still being published) or changes written long after their commit (a
 * backlog) mean waiting
 * until no change comes for CONNECTOR_QUIET_MS. Clocks: the connector's and the source's only, except
 * "a moment ago" (this machine's clock against the Kafka timestamp: a skew costs a look, never a change).
 */
import type { EngineStatus } from '../../preload/contract/status.ts';
import type { Engine } from '../engine/engine.ts';
import { MirrorError } from '../engine/errors.ts';
import { CONNECTOR_BACKLOG_MS, CONNECTOR_LOOK_MS, CONNECTOR_QUIET_MS, CONNECTOR_SETTLE_MS, type StreamedChange } from '../engine/source/connector-behind.ts';

type Waitable = Pick<Engine, 'waitFor' | 'status' | 'newestStreamed'>;

export interface CaughtUpTimes { settleMs: number; quietMs: number; lookMs: number; backlogMs: number }
const DEFAULT_TIMES: CaughtUpTimes = { settleMs: CONNECTOR_SETTLE_MS, quietMs: CONNECTOR_QUIET_MS, lookMs: CONNECTOR_LOOK_MS, backlogMs: CONNECTOR_BACKLOG_MS };

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** `json`: the lines are JSON records (`{"type":"connector-publishing",…}`, `{"type":"connector-quiet",…}`), as `--json` progress is. */
export async function waitCaughtUp(e: Waitable, pred: (s: EngineStatus) => boolean, timeoutMs: number, out: { say(line: string): void; json: boolean }, t: CaughtUpTimes = DEFAULT_TIMES): Promise<EngineStatus> {
  const until = Date.now() + timeoutMs;
  let prev: StreamedChange | null = null;
  let said = false;
  for (;;) {
    const s = await e.waitFor(pred, Math.max(1, until - Date.now()));
    const n = e.newestStreamed();
    if (!n) return s;
    const transaction = prev !== null && n.kafkaTs > prev.kafkaTs && n.sourceTs === prev.sourceTs;
    const backlog = n.behindMs >= t.backlogMs;
    const publishing = transaction || backlog;
    // A second look that found a current connector's newer changes: a steady stream, caught up.
    if (prev !== null && !publishing) return s;
    // First look: a change written well after its commit, or produced a moment ago, is looked at again.
    const behind = n.behindMs >= t.lookMs;
    if (prev === null && !backlog && !behind && Date.now() - n.kafkaTs >= t.settleMs) return s;
    if (publishing && !said) {
      said = true;
      const why = transaction ? `more changes of one source commit keep coming (a large transaction)` : `the connector wrote its newest change ${secs(n.behindMs)} after the source committed it (a backlog)`;
      out.say(out.json ? JSON.stringify({ type: 'connector-publishing', transaction, behindMs: n.behindMs, quietMs: t.quietMs })
        : `caught up with the topic, but the source connector is still publishing: ${why}; waiting until no change comes for ${secs(t.quietMs)}…`);
    }
    prev = n;
    const wait = publishing || behind ? t.quietMs : t.settleMs;
    if (until - Date.now() < wait) {
      // No time left for the look: caught up with the topic is what is known, unless the connector is seen publishing.
      if (!publishing) return s;
      throw new MirrorError('SNAPSHOT_TIMEOUT', `timed out while the source connector was still publishing (its newest change written ${secs(n.behindMs)} after its source commit)`);
    }
    await new Promise((r) => setTimeout(r, wait));
    const s2 = e.status();
    if (e.newestStreamed()?.kafkaTs === n.kafkaTs && pred(s2)) {
      if (publishing) out.say(out.json ? JSON.stringify({ type: 'connector-quiet', quietMs: t.quietMs }) : `no change came for ${secs(t.quietMs)}: caught up with what the connector published`);
      return s2;
    }
  }
}
