/**
 * SQL Server source types whose meaning differs from the same spelling elsewhere. SQL Server reports a
 * temporal type's fractional digits as its scale (the length is the display size: 27 for datetime2(7)),
 * DATETIME is always 3 digits (1/300 s) and SMALLDATETIME 0, a DATETIMEOFFSET keeps each value's own UTC
 * offset, and TINYINT is unsigned (0..255).
 */
import type { ColumnType } from './table-model.ts';

/** Fractional digits: the scale; without one (not from SQL Server itself), a length of at most 7, else `dflt`. */
function digits(scale: number | null, length: number | null, dflt: number): number {
  if (scale !== null && !Number.isNaN(scale) && scale >= 0) return Math.min(scale, 7);
  return length !== null && length >= 0 && length <= 7 ? length : dflt;
}

/** Null when the type means the same as in the shared table (source-types.ts). */
export function sqlServerSourceType(name: string, length: number | null, scale: number | null): ColumnType | null {
  switch (name) {
    case 'time': return { kind: 'time', precision: digits(scale, length, 7) };
    case 'datetime2': return { kind: 'timestamp', precision: digits(scale, length, 7) };
    case 'datetime': return { kind: 'timestamp', precision: 3 };
    case 'smalldatetime': return { kind: 'timestamp', precision: 0 };
    case 'datetimeoffset': return { kind: 'timestamptz', precision: digits(scale, length, 7), offset: true };
    case 'tinyint': return { kind: 'int', bits: 16 };
    default: return null;
  }
}
