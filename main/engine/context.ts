/** State shared by the engine's parts (cdc processing, snapshots, schema sync). One per running engine. */
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { EngineState, GapInfo } from '../../preload/contract/status.ts';
import type { Settings } from '../../preload/contract/settings.ts';
import { EnvelopeDecoder } from './decode/envelope.ts';
import type { EngineEmitter } from './events.ts';
import type { Logger } from './log.ts';
import type { Replica, StateRow } from './replica/dialect.ts';
import type { FilterVerdict } from './schema/table-filter.ts';
import type { SessionRecord } from './state/records.ts';
import type { TableRegistry } from './tables.ts';
import type { TenantTopics } from './source/topics.ts';
import type { Watermark } from './source/watermarks.ts';

/** A full snapshot being applied; `key` is its identity (ChangeEvent.snapshotKey), absent in state written before it existed. */
export interface FullSnapshot { startedAt: number; hadData: boolean; fence: Record<string, string> | null; lastSeen: boolean; key?: string | null }

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
  filter: (schema: string, name: string) => FilterVerdict;
  /** Next offset to apply, per partition of `<ctx>-cdc`. */
  nextOffsets: Map<number, bigint>;
  watermarks: Map<number, Watermark>;
  gaps: GapInfo[];
  fullSnapshot: FullSnapshot | null;
  /** Identity of the last full snapshot that completed: its stragglers are applied as plain upserts. */
  completedSnapshotKey: string | null;
  /** Offset of `<ctx>-schemahistory` already processed by the schema check. */
  historyNext: string | null;
  state: EngineState;
  stopping: boolean;
  paused: boolean;
  setState(state: EngineState, reason?: string | null): void;
  /** Writes state rows in their own transaction (DDL bookkeeping, signals, gaps). */
  persist(rows: StateRow[], remove?: string[]): Promise<void>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
