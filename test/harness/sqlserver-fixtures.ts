/**
 * The SQL Server change-event fixtures (test/fixtures/sqlserver, written by `npm run fixtures:sqlserver`
 * from Debezium's own converters) and what the product must make of each cell: the row value the decoder
 * yields, computed from the text SQL Server holds (`source`, derived from the inserted literals) and the
 * connector settings alone, never from the event.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RowValue } from '../../main/engine/schema/table-model.ts';

export const SQLSERVER_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'sqlserver');

export interface SqlServerFixtureEvent {
  name: string; op: 'r' | 'c' | 'u' | 'd'; before: string | null; after: string | null; key: string; value: string;
}
export interface SqlServerFixture {
  name: string;
  connector: Record<string, string>;
  events: SqlServerFixtureEvent[];
  source: Record<string, Record<string, string | null>>;
  connectorCorrupts: Array<{ row: string; column: string; reason: string }>;
}
export interface ColumnDoc { name: string; sqlType: string }

export function loadSqlServerFixtures(): SqlServerFixture[] {
  return readdirSync(SQLSERVER_FIXTURES).filter((f) => f.endsWith('.json') && f !== 'index.json').sort()
    .map((f) => JSON.parse(readFileSync(join(SQLSERVER_FIXTURES, f), 'utf8')) as SqlServerFixture);
}

export function sqlServerColumns(): ColumnDoc[] {
  return (JSON.parse(readFileSync(join(SQLSERVER_FIXTURES, 'index.json'), 'utf8')) as { columns: ColumnDoc[] }).columns;
}

export const isCorrupt = (fx: SqlServerFixture, row: string, column: string): boolean =>
  fx.connectorCorrupts.some((c) => c.row === row && c.column === column);

function parseType(sqlType: string): { base: string; p: number | null } {
  const m = /^(\w+)(?:\((\d+)(?:,\d+)?\))?/.exec(sqlType)!;
  return { base: m[1]!, p: m[2] === undefined ? null : Number(m[2]) };
}

/** Fraction of `text` ('…HH:MM:SS[.f]…') kept to `keep` digits, then zero-padded to `width` digits. */
function refraction(text: string, keep: number, width: number): string {
  const m = /^(.*\d{2}:\d{2}:\d{2})(?:\.(\d+))?(.*)$/.exec(text)!;
  const f = (m[2] ?? '').slice(0, keep).padEnd(width, '0');
  return `${m[1]}${width > 0 ? '.' + f : ''}${m[3]}`;
}

const hexBytes = (t: string): Buffer => Buffer.from(t.slice(2), 'hex');

/** UTC 'YYYY-MM-DDTHH:MM:SS.ffffffZ' of 'YYYY-MM-DD HH:MM:SS[.f] ±hh:mm' (fraction cut to `digits`). */
function utcOf(text: string, digits: number): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d+))? ([+-])(\d{2}):(\d{2})$/.exec(text)!;
  const off = (m[4] === '-' ? -1 : 1) * (Number(m[5]) * 60 + Number(m[6]));
  const d = new Date(`${m[1]}T${m[2]}Z`);
  d.setUTCMinutes(d.getUTCMinutes() - off);
  const f = (m[3] ?? '').slice(0, digits).padEnd(digits, '0');
  return `${d.toISOString().slice(0, 19)}${digits > 0 ? '.' + f : ''}Z`;
}

/** 'YYYY-MM-DD HH:MM:SS[.f] ±hh:mm' (SQL Server style 121) → 'YYYY-MM-DDTHH:MM:SS[.f]±hh:mm'. */
export const isoWithOffset = (text: string): string => text.replace(' ', 'T').replace(' ', '');

/** The row value the decoder must yield for a cell holding `text` (null = NULL) under the fixture's settings. */
export function expectedDecoded(col: ColumnDoc, text: string | null, settings: Record<string, string>): RowValue {
  if (text === null) return null;
  const { base, p } = parseType(col.sqlType);
  const propagate = settings['column.propagate.source.type'] !== undefined;
  const connect = settings['time.precision.mode'] === 'connect';
  const decimals = settings['decimal.handling.mode'];
  const binary = settings['binary.handling.mode'];
  // Temporal fraction digits: the event's (ms in connect mode), at the column's precision when the source
  // type is propagated, else at the precision the logical type implies.
  const temporal = (digits: number): string => {
    const carried = connect ? Math.min(3, digits) : digits;
    const width = propagate ? digits : connect ? 3 : digits <= 3 ? 3 : digits <= 6 ? 6 : 7;
    return refraction(text, carried, width);
  };
  switch (base) {
    case 'int': case 'smallint': case 'tinyint': return Number(text);
    case 'bigint': return BigInt(text);
    case 'bit': return text === '1';
    case 'decimal': case 'numeric': case 'money': case 'smallmoney': return decimals === 'double' ? Number(text) : text;
    case 'float': return Number(text);
    case 'real': return Math.fround(Number(text));
    case 'date': return text;
    case 'time': return temporal(p ?? 7);
    case 'datetime2': return temporal(p ?? 7);
    case 'datetime': return temporal(3);
    case 'smalldatetime': return temporal(0);
    case 'datetimeoffset': return propagate ? isoWithOffset(text) : utcOf(text, 6);
    case 'binary': case 'varbinary': case 'image': case 'rowversion': {
      const b = hexBytes(text);
      if (binary === 'base64') return b.toString('base64');
      if (binary === 'hex') return b.toString('hex');
      return b;
    }
    default: return text; // char/varchar/nchar/nvarchar/text/ntext/xml/uniqueidentifier: the string SQL Server holds
  }
}
