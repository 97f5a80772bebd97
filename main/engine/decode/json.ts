/**
 * Lossless JSON: the native parser with ES2025 source-text access, so integers beyond 2^53
 * (BIGINT ids, NanoTimestamp) become bigint instead of silently rounding. Texts with no run of
 * 16+ digits cannot hold such an integer and take the reviver-free fast path.
 */
const LONG_DIGITS = /\d{16}/;

interface ReviverContext { source?: string }

function revive(this: unknown, _key: string, value: unknown, ctx?: ReviverContext): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && ctx?.source !== undefined && /^-?\d+$/.test(ctx.source)) {
    return BigInt(ctx.source);
  }
  return value;
}

export function parseLossless(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  return JSON.parse(text, revive as (this: unknown, key: string, value: unknown) => unknown);
}

/**
 * Splits a JsonConverter record `{"schema":S,"payload":P}` into the schema text and the payload text
 * without parsing the (large, repetitive) schema every time. `knownSchema` says whether a candidate
 * schema text was parsed before; a wrong split is detected by a failing parse and the caller falls back.
 */
export function splitEnvelope(text: string): { schemaText: string; payloadText: string } | null {
  const head = '{"schema":';
  if (!text.startsWith(head)) return null;
  const mark = ',"payload":';
  const i = text.indexOf(mark);
  if (i < 0 || !text.endsWith('}')) return null;
  return { schemaText: text.slice(head.length, i), payloadText: text.slice(i + mark.length, -1) };
}
