/** State shared by the engine's parts (cdc processing, snapshots, schema sync). One per running engine. */
import type { StreamedChange } from './source/connector-behind.ts';
import type { DecodeAhead } from './decode/decode-ahead.ts';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { EngineState, GapInfo, NotMirroredTable } from '../../preload/contract/status.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { EnvelopeDecoder } from './decode/envelope.ts';
import type { EngineEmitter } from './events.ts';
import type { Logger } from './log.ts';
import type { Replica, StateRow } from './replica/replica.ts';
import type { FilterVerdict } from './schema/table-filter.ts';
import type { SessionRecord } from './state/records.ts';
import type { TableRegistry } from './tables.ts';
import type { TenantTopics } from './source/topics.ts';
import type { Watermark } from './source/watermarks.ts';
import type { FenceClock } from './snapshot/fence.ts';

import type { ControlLoop } from './control-loop.ts';
import type { WriterLease } from './state/writer-lease.ts';
import type { SchemaLog } from './schema/history-log.ts';
import type { CompletedSnapshot, FullSnapshot } from './snapshot/attempts.ts';
import type { ScansPaused } from './snapshot/scan-pause.ts';
export type { FullSnapshot } from './snapshot/attempts.ts';

/** What Debezium's "Initial Snapshot" notifications (initial and blocking snapshots) said since the last STARTED. */
export interface InitialScanReport {
  startedTs: number;
  /** `data_collections` of the attempt, lower case, when a notification listed them. */
  collections: string[];
  /** Per collection (lower case): TABLE_SCAN_COMPLETED status and rows. */
  scans: Record<string, { status: string; rows: number | null; ts: number }>;
  aborted: string | null;
  /**
   * The report a later STARTED replaced (one level): the notifications are read on their own, so those of
   * the next attempt can be read before the running attempt's end is applied (completeFullSnapshot).
   */
  before?: InitialScanReport | null;
}

export interface EngineContext {
  settings: Settings;
  log: Logger;
  events: EngineEmitter;
  replica: Replica;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  topics: TenantTopics;
  topicPrefix: string;
  session: SessionRecord | null;
  registry: TableRegistry;
  decoder: EnvelopeDecoder;
  /** Messages decoded while the previous chunk was being written (decode-ahead.ts); absent in tests that build a context. */
  decodeAhead?: DecodeAhead;
  filter: (schema: string, name: string) => FilterVerdict;
  /** Next offset to apply, per partition of `<ctx>-cdc`. */
  nextOffsets: Map<number, bigint>;
  watermarks: Map<number, Watermark>;
  /** Per partition of `<ctx>-cdc`: the newest Kafka timestamp applied, and since when its high watermark stands (snapshot/fence.ts). */
  fenceClock?: FenceClock;
  /** The newest change the connector streamed, as read (not a snapshot record): source/connector-behind.ts. */
  newestStreamed?: StreamedChange;
  gaps: GapInfo[];
  fullSnapshot: FullSnapshot | null;
  /** Last time a row of the running full snapshot was applied (or the engine started), ms: snapshot/stall.ts. */
  fullProgressAt?: number;
  /** Some table carries SNAPSHOT_STALLED (false: none since the engine started; undefined: not looked yet). */
  fullStalled?: boolean;
  /** Identity and time of the last full snapshot attempt that completed: its stragglers are plain upserts. */
  completed: CompletedSnapshot;
  /** Next offset read, per partition of `<ctx>-notifications`. */
  notifNext: Map<number, bigint>;
  /**
   * The end of each partition of `<ctx>-notifications` when the reader was positioned: below it the reader
   * reads the past (a pause it reads there may have been resumed further on: snapshot/scan-pause.ts).
   */
  notifReplayEnd?: Map<number, bigint>;
  initialScan: InitialScanReport | null;
  /** The source connector's incremental snapshots are paused (snapshot/scan-pause.ts); null or absent: not known to be. */
  scansPaused?: ScansPaused | null;
  /** Every change to the replica and the registry runs through it. */
  loop: ControlLoop;
  /** The writer lease while the engine holds it; every replica write carries its guard. */
  lease: WriterLease | null;
  /** Source tables let in that cannot be mirrored (no primary key), by id; stored as `unmirrored:` rows (unmirrored-tables.ts). */
  unmirrored?: Map<string, NotMirroredTable>;
  /** Offset of `<ctx>-schemahistory` already processed by the schema check. */
  historyNext: string | null;
  /** The schema history in order, per table (null until first read); `schemaLogHigh` is where the read ended. */
  schemaLog: SchemaLog | null;
  schemaLogHigh: bigint;
  /** When the history's end was last compared with `schemaLogHigh` (ms). */
  schemaLogCheckedAt: number;
  state: EngineState;
  stopping: boolean;
  paused: boolean;
  setState(state: EngineState, reason?: string | null): void;
  /** Writes state rows in their own transaction (DDL bookkeeping, signals, gaps). */
  persist(rows: StateRow[], remove?: string[]): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
