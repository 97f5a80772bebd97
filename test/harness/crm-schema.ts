/**
 * CRM source schema for the test stack, modelled on SuperOffice's main tables (anchor-product §14):
 * contact, person, sale, appointment, project, projectmember (composite PK), associate, document,
 * text, udcontactsmall — plus the Debezium signal table. One MariaDB database per tenant: `crm_<ctx>`.
 *
 * Every column carries a generator producing an SQL literal (deterministic, from a seeded PRNG), so
 * seed.ts and workload.ts can build multi-row INSERTs without per-value escaping overhead.
 *
 * Type coverage: INT AUTO_INCREMENT PKs, TINYINT / SMALLINT / INT UNSIGNED, BIGINT (values above 2^53
 * and the int64 extremes), DECIMAL(18,2) / DECIMAL(19,6), DOUBLE, FLOAT, VARCHAR short strings (quotes,
 * backslashes, non-ASCII, 4-byte emoji, empty), TEXT / LONGTEXT (some > 64 KB), CHAR(36) guids,
 * DATETIME(6) / DATETIME(3) / DATETIME, TIMESTAMP(6), DATE, TIME(6), BIT(1), TINYINT(1), VARBINARY,
 * BINARY(32), BLOB, DOUBLE at full precision (17 digits, 1e308, subnormals), JSON, ENUM, SET, CHAR(10)
 * with leading and trailing spaces, BIGINT UNSIGNED (to 2^64 − 1), BIT(12), BIT(64); nullable columns, NOT NULL DEFAULT columns and nullable columns with a DEFAULT
 * (where a NULL must stay NULL: replace.null.with.default=false).
 */

export const SIGNAL_TABLE = 'debezium_signal';
export const SIGNAL_TABLE_DDL = `CREATE TABLE ${SIGNAL_TABLE} (id VARCHAR(42) PRIMARY KEY, type VARCHAR(32) NOT NULL, data VARCHAR(2048) NULL)`;

/** Deterministic PRNG (mulberry32). */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0);
  }
  float(): number {
    return this.next() / 4294967296;
  }
  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.float() < p;
  }
  pick<T>(arr: readonly T[]): T {
    return arr[Math.floor(this.float() * arr.length)] as T;
  }
  big64(): bigint {
    return BigInt.asIntN(64, (BigInt(this.next()) << 32n) | BigInt(this.next()));
  }
}

export function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** SQL string literal (default sql_mode: backslash escapes active). */
export function sqlStr(s: string): string {
  return `'${s.replace(/[\\'\0\n\r\x1a]/g, (c) => ({ '\\': '\\\\', "'": "\\'", '\0': '\\0', '\n': '\\n', '\r': '\\r', '\x1a': '\\Z' })[c] ?? c)}'`;
}

export function sqlId(name: string): string {
  return `\`${name.replace(/`/g, '``')}\``;
}

export interface GenCtx {
  /** Row id for tables with a serial PK (1-based), or the row index. */
  id: number;
  /** Current row counts per table (for foreign-key-like references). */
  counts: Record<string, number>;
}

export type Gen = (r: Rng, c: GenCtx) => string;

export interface ColumnSpec {
  name: string;
  /** Type and constraints as in CREATE TABLE, e.g. `VARCHAR(220) NOT NULL DEFAULT ''`. */
  sql: string;
  gen: Gen;
  /** The column has a DEFAULT (workload inserts sometimes omit it to exercise server defaults). */
  hasDefault?: boolean;
  /** Not updated by the workload (PK, references). */
  immutable?: boolean;
}

export interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  primaryKey: string[];
  /** Column filled by AUTO_INCREMENT when the workload inserts. */
  autoIncrement?: string;
  /** Share of seed rows. */
  weight: number;
  /** Extra index definitions. */
  indexes?: string[];
}

// ---------- value generators (return SQL literals) ----------

const WORDS = ['Acme', 'Nordic', 'Data', 'Consult', 'Group', 'Holding', 'Systems', 'Bakery', 'Fjord', 'Invest', 'Solutions',
  'Partners', 'Trading', 'Logistics', 'Media', 'Health', 'Energy', 'Marine', 'Software', 'Design', 'Studio', 'Labs'];
const SPECIAL = ["O'Brien & Sons", 'back\\slash\\path', 'Ærøskøbing Økologi', 'Zürich Straße', '日本語の会社', 'emoji 😀 corp',
  'quote "double"', 'tab\tand\nnewline', '  padded  ', '', 'percent % and _ underscore', 'semi;colon--comment'];
const FIRST = ['Anna', 'Bjørn', 'Chloé', 'Dmitri', 'Eva', 'François', 'Günther', 'Hanne', 'Ingrid', 'Jürgen', 'Kari', 'Lars', 'Mette', 'Nils', 'Ola', 'Per'];
const LAST = ['Hansen', 'Johansen', 'Olsen', 'Larsen', 'Andersen', "O'Neil", 'Pedersen', 'Nilsen', 'Kristiansen', 'Jensen', 'Müller', 'Østergaard'];

export function nullable(g: Gen, pNull: number): Gen {
  return (r, c) => (r.chance(pNull) ? 'NULL' : g(r, c));
}
export const gInt = (lo: number, hi: number): Gen => (r) => String(r.int(lo, hi));
export const gRef = (table: string, pZero = 0): Gen => (r, c) => (r.chance(pZero) ? '0' : String(r.int(1, Math.max(1, c.counts[table] ?? 1))));
export const gWords = (maxLen: number, pSpecial = 0.03): Gen => (r) => {
  if (r.chance(pSpecial)) return sqlStr(r.pick(SPECIAL).slice(0, maxLen));
  const n = r.int(1, 3);
  let s = '';
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + r.pick(WORDS);
  return sqlStr(s.slice(0, maxLen));
};
export const gFirst: Gen = (r) => sqlStr(r.pick(FIRST));
export const gLast: Gen = (r) => sqlStr(r.pick(LAST));
export const gDigits = (len: number): Gen => (r) => {
  let s = '';
  for (let i = 0; i < len; i++) s += String(r.int(0, 9));
  return sqlStr(s);
};
export const gEmail: Gen = (r, c) => sqlStr(`${r.pick(FIRST).toLowerCase()}.${c.id}@example.com`.normalize('NFKD').replace(/[^\x20-\x7e]/g, ''));
/** Text of roughly [min, max] chars; with probability pHuge a 70–200 KB text (LONGTEXT only). */
export const gText = (min: number, max: number, pHuge = 0): Gen => (r) => {
  const target = r.chance(pHuge) ? r.int(70_000, 200_000) : r.int(min, max);
  const parts: string[] = [];
  let len = 0;
  while (len < target) {
    const w = r.chance(0.02) ? r.pick(SPECIAL) : r.pick(WORDS);
    parts.push(w);
    len += w.length + 1;
  }
  return sqlStr(parts.join(r.chance(0.1) ? '\n' : ' ').slice(0, Math.max(min, target)));
};
/** Exact decimal literal with the given precision/scale (unquoted, e.g. -123.45). */
export const gDecimal = (precision: number, scale: number, maxIntDigits = precision - scale, signed = true): Gen => (r) => {
  const intDigits = r.int(1, maxIntDigits);
  let ip = String(r.int(1, 9));
  for (let i = 1; i < intDigits; i++) ip += String(r.int(0, 9));
  if (r.chance(0.1)) ip = '0';
  let fp = '';
  for (let i = 0; i < scale; i++) fp += String(r.int(0, 9));
  const neg = signed && r.chance(0.15) ? '-' : '';
  return `${neg}${ip}${scale ? '.' + fp : ''}`;
};
/** Doubles with at most 12 significant digits (exact round trip through MariaDB's text protocol). */
export const gDouble: Gen = (r) => {
  if (r.chance(0.02)) return r.pick(['0', '-0.5', '1e300', '-2.5e-300', '123456789012']);
  return String(Math.round((r.float() - 0.3) * 1e9) / 1e3);
};
/**
 * Doubles at full precision, as SQL DOUBLE literals (`…e0`, never a DECIMAL literal): 17 significant
 * digits, the extremes, subnormals, 0.1 + 0.2, negative zero; written with JS's shortest round-trip text.
 */
export const gDoubleFull: Gen = (r) => {
  if (r.chance(0.4)) return r.pick(['0.30000000000000004e0', '1e308', '-1.7976931348623157e308', '5e-324', '-4.9406564584124654e-324',
    '2.2250738585072014e-308', '2.225073858507201e-308', '0.1e0', '0.3333333333333333e0', '-0e0', '9007199254740993e0', '123456789.12345679e0']);
  const x = (r.float() - 0.5) * 2 ** r.int(-60, 60) + r.float() * 1e-9;
  return `${String(x).replace(/e\+?/, 'e')}${/e/.test(String(x)) ? '' : 'e0'}`;
};
/**
 * JSON as PostgreSQL's jsonb prints it (keys by length then bytes, `": "` and `", "`), so the text is the
 * same on every replica: nested objects and arrays, unicode, escapes, numbers with a scale.
 */
export const gJson: Gen = (r) => sqlStr(r.pick([
  '{}', '[]', '{"a": 1}', '{"b": [true, false, null], "id": 7}', '{"n": -1.50, "s": "æøå 😀 \\"q\\" \\\\ \\n"}',
  '[1, 2.5, "x", {"k": null}]', '"just a string"', '12345678901234567890', 'null', '{"z": {"y": {"x": []}}}',
]));
/**
 * Floats exact in float32 with at most 6 significant digits (multiples of 1/4, |x| < 2500): the initial
 * snapshot reads FLOAT through the JDBC text protocol, where MariaDB prints 6 significant digits, so
 * -198837.25 arrives as -198837 in op=r events but exact in streamed events (verified).
 */
export const gFloat: Gen = (r) => String(r.int(-9_999, 9_999) / 4);
/** Any int64, biased to values above 2^53 in magnitude, plus the extremes. */
export const gBig64: Gen = (r) => {
  if (r.chance(0.02)) return r.pick(['9223372036854775807', '-9223372036854775808', '9007199254740993', '0']);
  if (r.chance(0.3)) return String(r.int(0, 1_000_000));
  return r.big64().toString();
};
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
function frac(r: Rng, digits: number): string {
  if (digits === 0) return '';
  let s = '';
  for (let i = 0; i < digits; i++) s += String(r.int(0, 9));
  return '.' + s;
}
/** 'YYYY-MM-DD HH:MM:SS[.f…]' between fromYear and toYear. */
export const gDateTime = (precision: number, fromYear = 1990, toYear = 2035): Gen => (r) =>
  `'${r.int(fromYear, toYear)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))} ${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}${frac(r, precision)}'`;
export const gDate = (fromYear = 1900, toYear = 2099): Gen => (r) => `'${r.int(fromYear, toYear)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}'`;
export const gTime = (precision: number): Gen => (r) => `'${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}${frac(r, precision)}'`;
export const gBit: (pTrue: number) => Gen = (pTrue) => (r) => (r.chance(pTrue) ? "b'1'" : "b'0'");
export const gBool01 = (pTrue: number): Gen => (r) => (r.chance(pTrue) ? '1' : '0');
export const gGuid: Gen = (r) => {
  const h = (n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += r.int(0, 15).toString(16); return s; };
  return `'${h(8)}-${h(4)}-4${h(3)}-${r.pick(['8', '9', 'a', 'b'])}${h(3)}-${h(12)}'`;
};
export const gBytes = (min: number, max: number): Gen => (r) => {
  const n = r.int(min, max);
  let s = '';
  for (let i = 0; i < n; i++) s += r.int(0, 255).toString(16).padStart(2, '0');
  return n === 0 ? "X''" : `X'${s}'`;
};

// ---------- the schema ----------

const registered6 = gDateTime(6, 2000, 2026);

export const CRM_TABLES: TableSpec[] = [
  {
    name: 'associate', weight: 0.01, primaryKey: ['associate_id'], autoIncrement: 'associate_id',
    columns: [
      { name: 'associate_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'name', sql: 'VARCHAR(50) NOT NULL', gen: (r, c) => sqlStr(`${r.pick(FIRST).slice(0, 3).toUpperCase()}${c.id}`) },
      { name: 'person_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('person'), hasDefault: true },
      { name: 'type', sql: 'TINYINT NOT NULL DEFAULT 0', gen: gInt(0, 7), hasDefault: true },
      { name: 'deleted', sql: "BIT(1) NOT NULL DEFAULT b'0'", gen: gBit(0.05), hasDefault: true },
      { name: 'usergroup_id', sql: 'INT NULL', gen: nullable(gInt(1, 20), 0.2) },
      { name: 'last_login', sql: 'DATETIME(3) NULL', gen: nullable(gDateTime(3, 2020, 2026), 0.3) },
      { name: 'password_hash', sql: 'VARBINARY(64) NULL', gen: nullable(gBytes(32, 64), 0.2) },
      { name: 'ejuser_id', sql: 'BIGINT NULL', gen: nullable(gBig64, 0.5) },
    ],
  },
  {
    name: 'contact', weight: 0.15, primaryKey: ['contact_id'], autoIncrement: 'contact_id',
    columns: [
      { name: 'contact_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'name', sql: "VARCHAR(220) NOT NULL DEFAULT ''", gen: gWords(220), hasDefault: true },
      { name: 'department', sql: 'VARCHAR(220) NULL', gen: nullable(gWords(220), 0.5) },
      { name: 'number1', sql: 'VARCHAR(40) NULL', gen: nullable(gDigits(8), 0.2) },
      { name: 'orgnr', sql: 'VARCHAR(40) NULL', gen: nullable(gDigits(9), 0.4) },
      { name: 'business_idx', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 40), hasDefault: true },
      { name: 'category_idx', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 25), hasDefault: true },
      { name: 'associate_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('associate'), hasDefault: true },
      { name: 'country_id', sql: 'SMALLINT NOT NULL DEFAULT 578', gen: gInt(1, 900), hasDefault: true },
      { name: 'deleted', sql: "BIT(1) NOT NULL DEFAULT b'0'", gen: gBit(0.02), hasDefault: true },
      { name: 'nomailing', sql: 'TINYINT(1) NOT NULL DEFAULT 0', gen: gBool01(0.1), hasDefault: true },
      { name: 'xstop', sql: 'TINYINT NULL', gen: nullable(gInt(-128, 127), 0.5) },
      { name: 'active_erp_links', sql: 'INT UNSIGNED NOT NULL DEFAULT 0', gen: (r) => String(r.chance(0.05) ? 4294967295 : r.int(0, 5)), hasDefault: true },
      { name: 'revenue', sql: 'DECIMAL(18,2) NULL DEFAULT 0.00', gen: nullable(gDecimal(18, 2), 0.3), hasDefault: true },
      { name: 'score', sql: 'DOUBLE NULL', gen: nullable(gDouble, 0.3) },
      { name: 'rating', sql: 'FLOAT NULL', gen: nullable(gFloat, 0.3) },
      { name: 'big_counter', sql: 'BIGINT NOT NULL DEFAULT 0', gen: gBig64, hasDefault: true },
      { name: 'text_id', sql: 'INT NULL', gen: nullable(gRef('text'), 0.5) },
      { name: 'guid', sql: 'CHAR(36) NULL', gen: nullable(gGuid, 0.05) },
      { name: 'registered', sql: "DATETIME(6) NOT NULL DEFAULT '2000-01-01 00:00:00.000000'", gen: registered6, hasDefault: true },
      { name: 'updated', sql: 'DATETIME(3) NULL', gen: nullable(gDateTime(3, 2010, 2026), 0.3) },
      { name: 'updated_utc', sql: 'TIMESTAMP(6) NULL', gen: nullable(gDateTime(6, 1980, 2037), 0.3) },
    ],
  },
  {
    name: 'person', weight: 0.25, primaryKey: ['person_id'], autoIncrement: 'person_id', indexes: ['KEY idx_person_contact (contact_id)'],
    columns: [
      { name: 'person_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'contact_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('contact', 0.05), hasDefault: true },
      { name: 'firstname', sql: "VARCHAR(50) NOT NULL DEFAULT ''", gen: gFirst, hasDefault: true },
      { name: 'middlename', sql: 'VARCHAR(50) NULL', gen: nullable(gFirst, 0.8) },
      { name: 'lastname', sql: "VARCHAR(50) NOT NULL DEFAULT ''", gen: gLast, hasDefault: true },
      { name: 'title', sql: 'VARCHAR(100) NULL', gen: nullable(gWords(100), 0.4) },
      { name: 'birthdate', sql: 'DATE NULL', gen: nullable(gDate(1940, 2005), 0.4) },
      { name: 'email', sql: 'VARCHAR(255) NULL', gen: nullable(gEmail, 0.2) },
      { name: 'retired', sql: "BIT(1) NOT NULL DEFAULT b'0'", gen: gBit(0.05), hasDefault: true },
      { name: 'person_rank', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 20), hasDefault: true },
      { name: 'notes', sql: 'TEXT NULL', gen: nullable(gText(0, 400), 0.5) },
      { name: 'photo', sql: 'VARBINARY(512) NULL', gen: nullable(gBytes(0, 512), 0.8) },
      { name: 'guid', sql: 'CHAR(36) NOT NULL', gen: gGuid },
      { name: 'registered', sql: 'DATETIME(6) NOT NULL', gen: registered6 },
      { name: 'updated', sql: 'DATETIME(3) NULL', gen: nullable(gDateTime(3, 2010, 2026), 0.3) },
    ],
  },
  {
    name: 'sale', weight: 0.1, primaryKey: ['sale_id'], autoIncrement: 'sale_id',
    columns: [
      { name: 'sale_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'contact_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('contact'), hasDefault: true },
      { name: 'person_id', sql: 'INT NULL', gen: nullable(gRef('person'), 0.3) },
      { name: 'associate_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('associate'), hasDefault: true },
      { name: 'heading', sql: "VARCHAR(220) NOT NULL DEFAULT ''", gen: gWords(220), hasDefault: true },
      { name: 'amount', sql: 'DECIMAL(18,2) NOT NULL DEFAULT 0.00', gen: gDecimal(18, 2), hasDefault: true },
      { name: 'earning', sql: 'DECIMAL(18,2) NULL', gen: nullable(gDecimal(18, 2, 10), 0.3) },
      { name: 'currency_rate', sql: 'DECIMAL(19,6) NULL DEFAULT 1.000000', gen: nullable(gDecimal(19, 6, 4, false), 0.3), hasDefault: true },
      { name: 'probability', sql: 'TINYINT NOT NULL DEFAULT 0', gen: gInt(0, 100), hasDefault: true },
      { name: 'status', sql: 'SMALLINT NOT NULL DEFAULT 1', gen: gInt(1, 7), hasDefault: true },
      { name: 'done', sql: 'TINYINT(1) NOT NULL DEFAULT 0', gen: gBool01(0.4), hasDefault: true },
      { name: 'saledate', sql: 'DATE NOT NULL', gen: gDate(2000, 2030) },
      { name: 'sale_number', sql: 'BIGINT NULL', gen: nullable(gBig64, 0.3) },
      { name: 'description', sql: 'TEXT NULL', gen: nullable(gText(0, 1000), 0.5) },
      { name: 'registered', sql: 'DATETIME(6) NOT NULL', gen: registered6 },
      { name: 'updated', sql: 'DATETIME(6) NULL', gen: nullable(gDateTime(6, 2010, 2026), 0.3) },
    ],
  },
  {
    name: 'appointment', weight: 0.2, primaryKey: ['appointment_id'], autoIncrement: 'appointment_id',
    columns: [
      { name: 'appointment_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'contact_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('contact'), hasDefault: true },
      { name: 'person_id', sql: 'INT NULL', gen: nullable(gRef('person'), 0.3) },
      { name: 'associate_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('associate'), hasDefault: true },
      { name: 'do_by', sql: 'DATETIME(6) NOT NULL', gen: gDateTime(6, 2015, 2030) },
      { name: 'end_date', sql: 'DATETIME(6) NULL', gen: nullable(gDateTime(6, 2015, 2030), 0.2) },
      { name: 'active_date', sql: 'DATE NULL', gen: nullable(gDate(2015, 2030), 0.2) },
      { name: 'duration', sql: 'TIME(6) NULL', gen: nullable(gTime(6), 0.3) },
      { name: 'type', sql: 'TINYINT NOT NULL DEFAULT 1', gen: gInt(1, 6), hasDefault: true },
      { name: 'status', sql: 'TINYINT NOT NULL DEFAULT 0', gen: gInt(0, 3), hasDefault: true },
      { name: 'location', sql: 'VARCHAR(254) NULL', gen: nullable(gWords(254), 0.5) },
      { name: 'free_busy', sql: "BIT(1) NOT NULL DEFAULT b'1'", gen: gBit(0.7), hasDefault: true },
      { name: 'private', sql: 'TINYINT(1) NOT NULL DEFAULT 0', gen: gBool01(0.1), hasDefault: true },
      { name: 'recurrence_id', sql: 'BIGINT NULL', gen: nullable(gBig64, 0.7) },
      { name: 'text_id', sql: 'INT NULL', gen: nullable(gRef('text'), 0.5) },
      { name: 'registered', sql: 'DATETIME(3) NOT NULL', gen: gDateTime(3, 2000, 2026) },
    ],
  },
  {
    name: 'project', weight: 0.03, primaryKey: ['project_id'], autoIncrement: 'project_id',
    columns: [
      { name: 'project_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'name', sql: "VARCHAR(220) NOT NULL DEFAULT ''", gen: gWords(220), hasDefault: true },
      { name: 'project_number', sql: 'VARCHAR(40) NULL', gen: nullable(gDigits(6), 0.2) },
      { name: 'type_idx', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 10), hasDefault: true },
      { name: 'status_idx', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 5), hasDefault: true },
      { name: 'done', sql: "BIT(1) NOT NULL DEFAULT b'0'", gen: gBit(0.3), hasDefault: true },
      { name: 'end_date', sql: 'DATE NULL', gen: nullable(gDate(2010, 2035), 0.3) },
      { name: 'budget', sql: 'DECIMAL(18,2) NULL', gen: nullable(gDecimal(18, 2, 9, false), 0.3) },
      { name: 'text_id', sql: 'INT NULL', gen: nullable(gRef('text'), 0.5) },
      { name: 'guid', sql: 'CHAR(36) NOT NULL', gen: gGuid },
      { name: 'registered', sql: 'DATETIME(6) NOT NULL', gen: registered6 },
      { name: 'updated', sql: 'DATETIME(6) NULL', gen: nullable(gDateTime(6, 2010, 2026), 0.3) },
    ],
  },
  {
    // Composite primary key (project_id, person_id); seed/workload generate unique pairs.
    name: 'projectmember', weight: 0.05, primaryKey: ['project_id', 'person_id'],
    columns: [
      { name: 'project_id', sql: 'INT NOT NULL', gen: (_r, c) => String(1 + (c.id % Math.max(1, c.counts.project ?? 1))), immutable: true },
      { name: 'person_id', sql: 'INT NOT NULL', gen: (_r, c) => String(1 + Math.floor(c.id / Math.max(1, c.counts.project ?? 1))), immutable: true },
      { name: 'contact_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('contact'), hasDefault: true },
      { name: 'mtype_idx', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 6), hasDefault: true },
      { name: 'comment', sql: "VARCHAR(2000) NOT NULL DEFAULT ''", gen: gText(0, 200), hasDefault: true },
      { name: 'member_rank', sql: 'SMALLINT NULL', gen: nullable(gInt(-32768, 32767), 0.3) },
      { name: 'registered', sql: 'DATETIME(6) NOT NULL', gen: registered6 },
    ],
  },
  {
    name: 'document', weight: 0.1, primaryKey: ['document_id'], autoIncrement: 'document_id',
    columns: [
      { name: 'document_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'appointment_id', sql: 'INT NULL', gen: nullable(gRef('appointment'), 0.2) },
      { name: 'header', sql: "VARCHAR(255) NOT NULL DEFAULT ''", gen: gWords(255), hasDefault: true },
      { name: 'name', sql: 'VARCHAR(255) NULL', gen: nullable((r, c) => sqlStr(`doc-${c.id}.${r.pick(['docx', 'pdf', 'xlsx', 'txt'])}`), 0.1) },
      { name: 'our_ref', sql: 'VARCHAR(100) NULL', gen: nullable(gDigits(10), 0.5) },
      { name: 'size_bytes', sql: 'BIGINT NOT NULL DEFAULT 0', gen: (r) => String(r.int(0, 2_000_000_000) * 4096), hasDefault: true },
      { name: 'content', sql: 'BLOB NULL', gen: nullable(gBytes(0, 2048), 0.6) },
      { name: 'sha256', sql: 'BINARY(32) NULL', gen: nullable(gBytes(32, 32), 0.3) },
      { name: 'content_type', sql: "VARCHAR(100) NULL DEFAULT 'application/octet-stream'", gen: nullable((r) => sqlStr(r.pick(['application/pdf', 'text/plain', 'image/png'])), 0.3), hasDefault: true },
      { name: 'snum', sql: 'INT NOT NULL DEFAULT 0', gen: gInt(0, 1_000_000), hasDefault: true },
      { name: 'registered', sql: 'DATETIME(6) NOT NULL', gen: registered6 },
    ],
  },
  {
    name: 'text', weight: 0.07, primaryKey: ['text_id'], autoIncrement: 'text_id',
    columns: [
      { name: 'text_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'text', sql: 'LONGTEXT NULL', gen: nullable(gText(0, 2000, 0.002), 0.05) },
      { name: 'registered', sql: 'DATETIME(6) NULL', gen: nullable(registered6, 0.1) },
    ],
  },
  {
    name: 'udcontactsmall', weight: 0.04, primaryKey: ['udcontactsmall_id'], autoIncrement: 'udcontactsmall_id',
    columns: [
      { name: 'udcontactsmall_id', sql: 'INT NOT NULL AUTO_INCREMENT', gen: (_r, c) => String(c.id), immutable: true },
      { name: 'contact_id', sql: 'INT NOT NULL DEFAULT 0', gen: gRef('contact'), hasDefault: true },
      { name: 'long01', sql: 'INT NULL', gen: nullable(gInt(-2147483648, 2147483647), 0.3) },
      { name: 'long02', sql: 'INT NULL DEFAULT 42', gen: nullable(gInt(0, 1000), 0.3), hasDefault: true },
      { name: 'double01', sql: 'DOUBLE NULL', gen: nullable(gDouble, 0.3) },
      { name: 'string01', sql: 'VARCHAR(200) NULL', gen: nullable(gWords(200, 0.1), 0.3) },
      { name: 'string02', sql: "VARCHAR(200) NULL DEFAULT 'n/a'", gen: nullable(gWords(200), 0.3), hasDefault: true },
      { name: 'date01', sql: 'DATE NULL', gen: nullable(gDate(), 0.3) },
      { name: 'datetime01', sql: 'DATETIME NULL', gen: nullable(gDateTime(0), 0.3) },
      { name: 'time01', sql: 'TIME(6) NULL', gen: nullable(gTime(6), 0.3) },
      { name: 'bool01', sql: 'TINYINT(1) NULL DEFAULT 1', gen: nullable(gBool01(0.5), 0.3), hasDefault: true },
      { name: 'bit01', sql: 'BIT(1) NULL', gen: nullable(gBit(0.5), 0.3) },
      { name: 'decimal01', sql: 'DECIMAL(18,2) NULL', gen: nullable(gDecimal(18, 2), 0.3) },
      { name: 'double02', sql: 'DOUBLE NULL', gen: nullable(gDoubleFull, 0.2) },
      { name: 'json01', sql: 'JSON NULL', gen: nullable(gJson, 0.3) },
      { name: 'enum01', sql: "ENUM('a','B','c d','') NULL", gen: nullable((r) => sqlStr(r.pick(['a', 'B', 'c d', ''])), 0.2) },
      { name: 'set01', sql: "SET('x','y','z') NOT NULL DEFAULT ''", gen: (r) => sqlStr(r.pick(['', 'x', 'y,z', 'x,y,z', 'z'])), hasDefault: true },
      { name: 'char01', sql: 'CHAR(10) NULL', gen: nullable((r) => sqlStr(r.pick(['ab', '  lead', 'trail  ', '', ' ', 'ten chars!', 'ü 😀'])), 0.2) },
      { name: 'ubig01', sql: 'BIGINT UNSIGNED NULL', gen: nullable((r) => (r.chance(0.3) ? r.pick(['18446744073709551615', '9223372036854775808', '9007199254740993', '0']) : BigInt.asUintN(64, r.big64()).toString()), 0.2) },
      { name: 'bits01', sql: 'BIT(12) NULL', gen: nullable((r) => `b'${r.int(0, 4095).toString(2)}'`, 0.2) },
      { name: 'bits64', sql: 'BIT(64) NULL', gen: nullable((r) => `b'${BigInt.asUintN(64, r.big64()).toString(2)}'`, 0.2) },
    ],
  },
];

export const CRM_TABLE_NAMES: string[] = CRM_TABLES.map((t) => t.name);

export function tableSpec(name: string): TableSpec {
  const t = CRM_TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`unknown CRM table ${name}`);
  return t;
}

export function createTableSql(t: TableSpec): string {
  const cols = t.columns.map((c) => `  ${sqlId(c.name)} ${c.sql}`);
  cols.push(`  PRIMARY KEY (${t.primaryKey.map(sqlId).join(', ')})`);
  for (const i of t.indexes ?? []) cols.push(`  ${i}`);
  return `CREATE TABLE ${sqlId(t.name)} (\n${cols.join(',\n')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`;
}
