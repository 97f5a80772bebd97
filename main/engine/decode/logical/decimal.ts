import type { LogicalType } from './types.ts';
import type { ColumnType } from '../../schema/table-model.ts';

/** Unscaled big-endian two's-complement bytes → bigint. */
export function bytesToBigInt(buf: Buffer): bigint {
  if (buf.length === 0) return 0n;
  let n = BigInt('0x' + buf.toString('hex'));
  if (buf[0]! & 0x80) n -= 1n << BigInt(buf.length * 8);
  return n;
}

/** bigint unscaled + scale → exact decimal text with exactly `scale` fraction digits. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  let digits = (neg ? -unscaled : unscaled).toString();
  if (scale <= 0) return (neg ? '-' : '') + digits + (scale < 0 ? '0'.repeat(-scale) : '');
  digits = digits.padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Re-scales exact decimal text to the column's scale (pads zeros; never rounds silently). */
export function rescale(text: string, scale: number): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new TypeError(`not a decimal: ${text.slice(0, 40)}`);
  const [, sign = '', int = '0', frac = ''] = m;
  if (frac.length > scale && /[^0]/.test(frac.slice(scale))) throw new RangeError(`${text} has more than ${scale} decimals`);
  const f = frac.slice(0, scale).padEnd(scale, '0');
  const i = int.replace(/^0+(?=\d)/, '') || '0';
  const zero = /^0*$/.test(i + f);
  return `${zero ? '' : sign}${i}${scale > 0 ? '.' + f : ''}`;
}

const scaleOf = (col: ColumnType, fallback: number): number => (col.kind === 'decimal' ? col.scale : fallback);

export const decimalType: LogicalType = {
  names: ['org.apache.kafka.connect.data.Decimal'],
  columnType: (f) => ({
    kind: 'decimal',
    precision: Number(f.parameters?.['connect.decimal.precision'] ?? 38),
    scale: Number(f.parameters?.scale ?? 0),
  }),
  decode: (v, f, col) => {
    const scale = Number(f.parameters?.scale ?? 0);
    const text = typeof v === 'string'
      ? formatDecimal(bytesToBigInt(Buffer.from(v, 'base64')), scale)
      : String(v); // decimal.format=NUMERIC
    return rescale(text, scaleOf(col, scale));
  },
};

export const variableScaleDecimal: LogicalType = {
  names: ['io.debezium.data.VariableScaleDecimal'],
  columnType: () => ({ kind: 'decimal', precision: 38, scale: 10 }),
  decode: (v, _f, col) => {
    const o = v as { scale?: number; value?: string };
    if (typeof o?.value !== 'string' || typeof o.scale !== 'number') throw new TypeError('VariableScaleDecimal expects {scale, value}');
    const text = formatDecimal(bytesToBigInt(Buffer.from(o.value, 'base64')), o.scale);
    return col.kind === 'decimal' ? rescale(text, col.scale) : text;
  },
};
