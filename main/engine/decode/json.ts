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

function hasUnsafeInteger(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && !Number.isSafeInteger(v);
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) { for (const x of v) if (hasUnsafeInteger(x)) return true; return false; }
  for (const k in v) if (hasUnsafeInteger((v as Record<string, unknown>)[k])) return true;
  return false;
}

/** Envelope timestamps the decoder never reads; ts_us / ts_ns are always beyond 2^53. */
const UNREAD_TIMESTAMPS = new Set(['ts_us', 'ts_ns']);

function envelopeNeedsLossless(p: unknown): boolean {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return hasUnsafeInteger(p);
  const o = p as Record<string, unknown>;
  for (const k in o) {
    if (UNREAD_TIMESTAMPS.has(k)) continue;
    const v = o[k];
    if (k === 'source' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const sk in v) if (!UNREAD_TIMESTAMPS.has(sk) && hasUnsafeInteger((v as Record<string, unknown>)[sk])) return true;
    } else if (hasUnsafeInteger(v)) return true;
  }
  return false;
}

/**
 * A Debezium envelope payload (or a key payload) as parseLossless would give it, for every value the
 * decoder reads: the native parse runs first, and the lossless (reviver) parse only when an integer
 * beyond 2^53 turned up outside the envelope's own ts_us / ts_ns (which every MariaDB event carries,
 * so the 16-digit test of parseLossless sent every event down the slow path).
 */
export function parseEnvelopePayload(text: string): unknown {
  const fast = JSON.parse(text) as unknown;
  // The walk over the parsed values is cheaper than a scan of the text for 16 digits (ts_us is in every event).
  if (!envelopeNeedsLossless(fast)) return fast;
  return restoreLongIntegers(fast, text) ? fast : JSON.parse(text, revive as (this: unknown, key: string, value: unknown) => unknown);
}

const INTEGER_TEXT = /^-?\d+$/;
/** Two different number texts that parse to the same double: which one a value came from is not known. */
const AMBIGUOUS = '';

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Every number-like token of `text` that can stand for an integer beyond 2^53: 16+ digits before any
 * fraction, or an exponent; `-?\d+(\.\d+)?([eE][+-]?\d+)?` taken whole from its first character. A JSON number
 * token starts after a character that is not a digit or a dot, so each one is read whole here, as the
 * JSON parser read it. Digits inside strings may be taken for one too: such a text only ever adds a
 * candidate, which at worst makes a value ambiguous (the reviver parse then decides). One pass over the
 * characters (a RegExp with the same rule took ~2.5x as long: it tried again inside every digit run).
 */
function eachLongNumber(text: string, found: (token: string) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c > 57 || (c < 48 && c !== 45)) { i++; continue; } // not a digit or '-'
    let j = c === 45 ? i + 1 : i;
    const digits = j;
    while (j < n && isDigit(text.charCodeAt(j))) j++;
    if (j === digits) { i = j; continue; } // a '-' without digits: it is passed
    const intDigits = j - digits;
    if (text.charCodeAt(j) === 46 && isDigit(text.charCodeAt(j + 1))) { j += 2; while (j < n && isDigit(text.charCodeAt(j))) j++; }
    let exponent = false;
    const e = text.charCodeAt(j);
    if (e === 101 || e === 69) {
      let k = j + 1;
      const sign = text.charCodeAt(k);
      if (sign === 43 || sign === 45) k++;
      if (isDigit(text.charCodeAt(k))) { exponent = true; j = k + 1; while (j < n && isDigit(text.charCodeAt(j))) j++; }
    }
    if (intDigits >= 16 || exponent) found(text.slice(i, j));
    i = j;
  }
}

/**
 * What the reviver parse would give, without its cost (a reviver call per value: ~3x the parse): every
 * integer of the fast parse beyond 2^53 is replaced by the bigint of the one number text in `text` that
 * parses to it; a value written with a fraction or an exponent stays a number, as the reviver leaves it.
 * False (the caller parses with the reviver) when a value's text is not known for sure: two texts that
 * round to the same double, or none. Every number token of `text` is among the candidates
 * (eachLongNumber), so a value with one candidate has that text.
 */
function restoreLongIntegers(parsed: unknown, text: string): boolean {
  const texts = new Map<number, string>();
  eachLongNumber(text, (t) => {
    const v = Number(t);
    if (!Number.isInteger(v) || Number.isSafeInteger(v)) return;
    const had = texts.get(v);
    texts.set(v, had === undefined || had === t ? t : AMBIGUOUS);
  });
  return replaceUnsafe(parsed, texts);
}

function replaceUnsafe(o: unknown, texts: ReadonlyMap<number, string>): boolean {
  if (o === null || typeof o !== 'object') return true;
  const c = o as Record<string, unknown>;
  for (const k in c) {
    const v = c[k];
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || Number.isSafeInteger(v)) continue;
      const t = texts.get(v);
      if (t === undefined || t === AMBIGUOUS) return false;
      if (INTEGER_TEXT.test(t)) c[k] = BigInt(t);
    } else if (v !== null && typeof v === 'object' && !replaceUnsafe(v, texts)) return false;
  }
  return true;
}
