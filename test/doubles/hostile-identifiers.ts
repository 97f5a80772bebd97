/**
 * Hostile identifiers (as table / column names from change events could carry) and a small SQL lexer
 * that checks generated SQL: quotes balanced, no statement separator or comment outside quotes, and
 * every quoted identifier decoding back to a name that was put in.
 */
export type QuoteStyle = 'double' | 'bracket';

const PIECES = [
  '"', '""', "'", "''", '[', ']', ']]', '`', ';', ';--', '--', '/*', '*/', '\\', ' ', '\t', '\n', '\r\n', '$1', '?', ':x', '@p', '%s',
  'DROP TABLE x', 'é', 'Straße', '名前', '😀', '\u202e', '\u200b', '\uFEFF', 'ǅ', 'a', 'Z', '_', '0', '.', ',', '(', ')', '*', '=', '\u00a0',
];

/** Deterministic PRNG (mulberry32), so failures can be replayed by seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random hostile identifier of at most `maxLen` UTF-16 units and `maxBytes` UTF-8 bytes. */
export function hostileIdentifier(rand: () => number, maxLen = 60, maxBytes = Infinity): string {
  const long = rand() < 0.1;
  const target = long ? maxLen : 1 + Math.floor(rand() * Math.min(maxLen, 24));
  let s = '';
  for (;;) {
    const p = PIECES[Math.floor(rand() * PIECES.length)]!;
    const next = s + p;
    if (next.length > target || Buffer.byteLength(next, 'utf8') > maxBytes) break;
    s = next;
  }
  return s.length ? s : '"';
}

export interface Lexed { statements: number; identifiers: string[]; strings: string[]; problems: string[] }

/** Lexes SQL with the given identifier quoting; `;` outside quotes counts a statement break. */
export function lexSql(sql: string, style: QuoteStyle): Lexed {
  const out: Lexed = { statements: 1, identifiers: [], strings: [], problems: [] };
  let i = 0;
  const closeFor = style === 'bracket' ? ']' : '"';
  while (i < sql.length) {
    const ch = sql[i]!;
    const openIdent = style === 'bracket' ? ch === '[' : ch === '"';
    if (openIdent || ch === "'") {
      const close = openIdent ? closeFor : "'";
      let j = i + 1;
      let v = '';
      for (;;) {
        if (j >= sql.length) { out.problems.push(`unterminated ${close} quote at ${i}`); return out; }
        if (sql[j] === close) {
          if (sql[j + 1] === close) { v += close; j += 2; continue; }
          break;
        }
        v += sql[j]; j++;
      }
      (openIdent ? out.identifiers : out.strings).push(v);
      i = j + 1;
      continue;
    }
    if (ch === ';') { if (sql.slice(i + 1).trim()) out.statements++; i++; continue; }
    if (sql.startsWith('--', i) || sql.startsWith('/*', i)) { out.problems.push(`comment outside quotes at ${i}: ${sql.slice(i, i + 20)}`); i += 2; continue; }
    // PostgreSQL's array type suffix (`$1::bigint[]`) is the only [] outside quotes in double-quote SQL.
    if (style === 'double' && sql.startsWith('[]', i)) { i += 2; continue; }
    if (ch === '"' || ch === ']' || ch === '[' || ch === '`') out.problems.push(`stray ${ch} at ${i}`);
    i++;
  }
  return out;
}
