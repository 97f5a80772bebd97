/**
 * T-SQL quoting. Identifiers are bracket-quoted with `]` doubled; string literals are N'…' with `'`
 * doubled. SQL Server identifiers (sysname) hold at most 128 UTF-16 code units: longer names are an
 * error here rather than a confusing server message later.
 */
import { createHash } from 'node:crypto';
import { MirrorError } from '../../errors.ts';

export const MAX_IDENTIFIER_LENGTH = 128;

export function quoteIdent(identifier: string): string {
  if (identifier.length === 0) throw new MirrorError('SCHEMA_CONFLICT', 'SQL Server identifier is empty');
  if (identifier.length > MAX_IDENTIFIER_LENGTH) {
    throw new MirrorError(
      'SCHEMA_CONFLICT',
      `SQL Server identifier is ${identifier.length} characters long, the limit is ${MAX_IDENTIFIER_LENGTH}: "${identifier.slice(0, 40)}…". Rename it at the source or set a shorter table prefix.`,
    );
  }
  if (identifier.includes('\u0000')) throw new MirrorError('SCHEMA_CONFLICT', 'SQL Server identifier contains a NUL character');
  return `[${identifier.replaceAll(']', ']]')}]`;
}

/** N'…' literal (Unicode), `'` doubled. */
export function quoteString(value: string): string {
  return `N'${value.replaceAll("'", "''")}'`;
}

/**
 * A constraint name `<prefix>_<parts joined by _>`, or `<prefix>_<16 hex of sha256>` when that would
 * exceed 128 characters. Deterministic, so later DDL can drop it by name.
 */
export function constraintName(prefix: string, ...parts: string[]): string {
  const plain = [prefix, ...parts].join('_');
  if (plain.length <= MAX_IDENTIFIER_LENGTH) return plain;
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
  return `${prefix}_${hash}`;
}
