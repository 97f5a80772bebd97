/**
 * Every recorded Kafka record, as the connectors wrote them: MariaDB (test/fixtures/mariadb, one record
 * per file) and SQL Server (test/fixtures/sqlserver, Debezium's own converter: several per file), with
 * key and value as the text Kafka holds. For tests that must hold for every real record.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KafkaMessage } from 'kafkajs';

export interface RecordedRecord { name: string; key: string | null; value: string | null }

const root = join(import.meta.dirname, '../fixtures');

export const recordedMariadb: RecordedRecord[] = readdirSync(join(root, 'mariadb')).filter((f) => /^(c|u|d|r|pk-change|tombstone)-/.test(f))
  .map((f) => ({ name: f, ...(JSON.parse(readFileSync(join(root, 'mariadb', f), 'utf8')) as { key: string | null; value: string | null }) }));

export const recordedSqlserver: RecordedRecord[] = readdirSync(join(root, 'sqlserver')).filter((f) => f !== 'index.json').flatMap((f) => {
  const events = (JSON.parse(readFileSync(join(root, 'sqlserver', f), 'utf8')) as { events: Array<{ name?: string; key: string | null; value: string | null }> }).events;
  return events.map((e, i) => ({ name: `${f}#${e.name ?? i}`, key: e.key, value: e.value }));
});

/**
 * The records as kafkajs hands them over: key and value are slices of one fetch buffer (`fetch`), with
 * a header; offsets count from `first`, timestamps from 1,700,000,000,000 + `first`.
 */
export function asFetched(recs: RecordedRecord[], first = 0): { messages: KafkaMessage[]; fetch: ArrayBufferLike } {
  const whole = Buffer.concat(recs.flatMap((r) => [Buffer.from(r.key ?? ''), Buffer.from(r.value ?? '')]));
  let at = 0;
  const slice = (s: string | null): Buffer | null => {
    const n = Buffer.byteLength(s ?? '');
    const b = whole.subarray(at, at + n);
    at += n;
    return s === null ? null : b;
  };
  const messages = recs.map((r, i) => ({
    offset: String(first + i), timestamp: String(1_700_000_000_000 + first + i), attributes: 0,
    key: slice(r.key), value: slice(r.value), headers: { h: whole.subarray(0, 1) },
  }) as unknown as KafkaMessage);
  return { messages, fetch: whole.buffer };
}
