/**
 * The newest change the source connector streamed that the engine has read, with the source's commit time
 * (`source.ts_ms`) and the record's Kafka timestamp (Connect's produce time). Caught up with `<ctx>-cdc`
 * is not caught up with the source while the connector is still publishing (a large transaction — every
 * change of it has its commit time —, or a backlog after a connector restart): `sync --until-caught-up` and
 * `provision` look at these before they say caught up (commands/caught-up.ts). Snapshot records (`op: r`)
 * are left out: their `ts_ms` is when the snapshot began.
 */

export interface StreamedChange { kafkaTs: number; sourceTs: number; behindMs: number }

/**
 * Written this long after the source committed it, the connector is working through a backlog. Above
 * SQL Server's usual capture latency (its CDC capture job polls every 5 s): a steady stream from a current
 * connector stays below it.
 */
export const CONNECTOR_BACKLOG_MS = 30_000;
/**
 * Written this long after its commit, the connector may be behind (MariaDB's `source.ts_ms` has whole seconds,
 * so a current connector's changes read up to ~1.5 s): look again after CONNECTOR_QUIET_MS before saying caught
 * up. A connector behind pauses for seconds between its batches on a busy machine: 2.5 s and over 6 s seen on the stack.
 */
export const CONNECTOR_LOOK_MS = 2000;
/** A change produced less than this long ago: look again after this long before saying caught up. */
export const CONNECTOR_SETTLE_MS = 2000;
/** With the connector publishing a transaction or a backlog, caught up means no new change for this long. */
export const CONNECTOR_QUIET_MS = 6000;

/** Per event read: updates the one record in place (no allocation on the hot path); readers take a copy. */
export function noteStreamed(ctx: { newestStreamed?: StreamedChange }, kafkaTs: number, sourceTs: number): void {
  if (!(sourceTs > 0) || !(kafkaTs > 0)) return;
  const n = ctx.newestStreamed;
  if (!n) { ctx.newestStreamed = { kafkaTs, sourceTs, behindMs: Math.max(0, kafkaTs - sourceTs) }; return; }
  if (n.kafkaTs > kafkaTs) return;
  n.kafkaTs = kafkaTs;
  n.sourceTs = sourceTs;
  n.behindMs = Math.max(0, kafkaTs - sourceTs);
}
