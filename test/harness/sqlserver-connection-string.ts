/**
 * ADO.NET-style connection strings (`Server=localhost,1433;Database=mirror_test;User Id=sa;
 * Password=…;TrustServerCertificate=true`) -> replica options, for the opt-in live SQL Server test
 * (MIRROR_TEST_MSSQL). The product itself takes SQL Server settings field by field (settings schema),
 * so this parser lives with the test harness.
 *
 * `Encrypt=Strict` is kept as TDS 8.0 strict encryption (tedious `encrypt: 'strict'`), not weakened to
 * `true`. SQL logins and NTLM (DOMAIN\\user) are supported; `Authentication=` (Azure AD / Entra) and
 * `Integrated Security` / `Trusted_Connection` are refused with a clear error rather than ignored (the
 * login would silently be attempted as something else). Errors never echo a value (passwords).
 */
import { MirrorError } from '../../main/engine/errors.ts';
import type { SqlServerReplicaOptions } from '../../main/engine/replica/sqlserver/replica.ts';

const SYNONYMS: Record<string, string> = {
  server: 'server', 'data source': 'server', address: 'server', addr: 'server', 'network address': 'server',
  database: 'database', 'initial catalog': 'database',
  'user id': 'user', uid: 'user', user: 'user', username: 'user',
  password: 'password', pwd: 'password',
  domain: 'domain',
  encrypt: 'encrypt',
  trustservercertificate: 'trust', 'trust server certificate': 'trust',
  port: 'port',
  tableprefix: 'prefix',
  authentication: 'authentication',
  'integrated security': 'integrated', trusted_connection: 'integrated', 'trusted connection': 'integrated',
};

/** A connection string the mirror cannot use (CONFIG_INVALID); the message names keys, never values. */
export class ConnectionStringError extends MirrorError {
  constructor(message: string) {
    super('CONFIG_INVALID', `connection string: ${message}`);
    this.name = 'ConnectionStringError';
  }
}

function splitPairs(s: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq < 0) {
      // The text may be part of a password split at a ';': say where, never what.
      if (s.slice(i).trim()) throw new ConnectionStringError(`the part starting at character ${i + 1} has no "=" (quote values that contain ';' with "…" or {…})`);
      break;
    }
    const key = s.slice(i, eq).trim().toLowerCase();
    let j = eq + 1;
    while (s[j] === ' ') j++;
    let value: string;
    const open = s[j];
    if (open === '"' || open === "'" || open === '{') {
      const close = open === '{' ? '}' : open;
      let out = '';
      j++;
      for (;;) {
        if (j >= s.length) throw new ConnectionStringError(`unterminated ${open} in the value of ${JSON.stringify(key)}`);
        if (s[j] === close) {
          if (s[j + 1] === close) { out += close; j += 2; continue; } // doubled quote = literal
          j++;
          break;
        }
        out += s[j++];
      }
      value = out;
      const semi = s.indexOf(';', j);
      i = semi < 0 ? s.length : semi + 1;
    } else {
      const semi = s.indexOf(';', j);
      value = s.slice(j, semi < 0 ? s.length : semi).trim();
      i = semi < 0 ? s.length : semi + 1;
    }
    if (key) pairs.push([key, value]);
  }
  return pairs;
}

const truthy = (v: string): boolean => /^(true|yes|1|mandatory|strict)$/i.test(v.trim());
const falsy = (v: string): boolean => /^(false|no|0|optional)$/i.test(v.trim());

function encryptOption(v: string | undefined): boolean | 'strict' {
  if (v === undefined) return true;
  if (/^strict$/i.test(v.trim())) return 'strict';
  if (truthy(v)) return true;
  if (falsy(v)) return false;
  throw new ConnectionStringError('Encrypt must be true, false, mandatory, optional or strict');
}

export function parseSqlServerConnectionString(s: string, tablePrefix = ''): SqlServerReplicaOptions {
  const v: Record<string, string> = {};
  for (const [k, value] of splitPairs(s)) {
    const name = SYNONYMS[k];
    if (name) v[name] = value;
  }
  if (v.authentication !== undefined && !/^(sql ?password)$/i.test(v.authentication.trim())) {
    throw new ConnectionStringError(`Authentication=${v.authentication.trim().replace(/[^A-Za-z ]/g, '').slice(0, 40)} is not supported; use a SQL Server login (User Id and Password) or DOMAIN\\user for NTLM`);
  }
  if (v.integrated !== undefined && !falsy(v.integrated)) {
    throw new ConnectionStringError('Integrated Security (Windows authentication of this process) is not supported; use a SQL Server login (User Id and Password) or User Id=DOMAIN\\user with a Password for NTLM');
  }
  let server = (v.server ?? '').replace(/^tcp:/i, '').trim();
  if (!server) throw new ConnectionStringError('has no Server');
  let port = v.port !== undefined ? Number(v.port) : undefined;
  const comma = server.lastIndexOf(',');
  if (comma >= 0) {
    port = Number(server.slice(comma + 1).trim());
    server = server.slice(0, comma).trim();
  }
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) throw new ConnectionStringError('has an invalid port');
  if (!v.database) throw new ConnectionStringError('has no Database');
  let user = v.user;
  let domain = v.domain;
  if (user && !domain && user.includes('\\')) {
    const [d, u] = user.split('\\', 2);
    domain = d;
    user = u;
  }
  return {
    server,
    port,
    database: v.database,
    user,
    password: v.password,
    domain,
    encrypt: encryptOption(v.encrypt),
    trustServerCertificate: v.trust === undefined ? false : truthy(v.trust),
    tablePrefix: v.prefix ?? tablePrefix,
  };
}
