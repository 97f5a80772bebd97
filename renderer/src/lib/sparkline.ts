/** Points of a lag sparkline, as an SVG `<polyline points>` string. Pure: unit-tested. */

export interface SparklineBox { width: number; height: number; /** inset so the stroke is not clipped */ pad?: number }

const round = (n: number): number => Math.round(n * 100) / 100;

/**
 * Scales the series into the box: x spread evenly over the width, y from 0 (bottom) to the series
 * maximum (top). Missing values (null, NaN, negative) are skipped. One value draws a flat line.
 */
export function sparklinePoints(values: ReadonlyArray<number | null>, box: SparklineBox): string {
  const pad = box.pad ?? 1;
  const present = values
    .map((v, i) => ({ v, i }))
    .filter((p): p is { v: number; i: number } => p.v !== null && Number.isFinite(p.v) && p.v >= 0);
  if (present.length === 0) return '';
  const innerW = Math.max(0, box.width - 2 * pad);
  const innerH = Math.max(0, box.height - 2 * pad);
  const max = Math.max(...present.map((p) => p.v));
  const y = (v: number): number => round(pad + innerH - (max > 0 ? (v / max) * innerH : 0));
  if (values.length === 1 || present.length === 1) {
    const only = present[0]!;
    return `${round(pad)},${y(only.v)} ${round(pad + innerW)},${y(only.v)}`;
  }
  const step = innerW / (values.length - 1);
  return present.map((p) => `${round(pad + p.i * step)},${y(p.v)}`).join(' ');
}

/** Keeps the newest `limit` samples. */
export function appendSample(series: readonly number[], value: number, limit: number): number[] {
  const next = series.length >= limit ? series.slice(series.length - limit + 1) : series.slice();
  next.push(value);
  return next;
}
