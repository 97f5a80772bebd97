/** PostgreSQL error classification by SQLSTATE (`err.code` of pg's DatabaseError) and Node socket codes. */
import type { ClassifiedError, ErrorClassifier } from '../dialect.ts';
import { classifyMirrorError, driverError, errorMessage, taggedTable } from '../naming.ts';
import { quotePgIdent } from './dialect.ts';

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

function q(name: string): string {
  try { return quotePgIdent(name); } catch { return JSON.stringify(name); }
}

/** The GRANT that fixes a "permission denied for <kind> <name>" message. */
export function grantHint(message: string, user: string, database: string): string {
  const who = q(user);
  let m = /permission denied for schema (.+)$/i.exec(message);
  if (m) return `GRANT USAGE, CREATE ON SCHEMA ${q(m[1]!.trim())} TO ${who};`;
  m = /permission denied for (?:table|relation|sequence) (.+)$/i.exec(message);
  if (m) return `GRANT SELECT, INSERT, UPDATE, DELETE ON ${q(m[1]!.trim())} TO ${who};`;
  if (/permission denied for database/i.test(message)) return `GRANT CREATE, TEMPORARY ON DATABASE ${q(database)} TO ${who};`;
  if (/must be owner of/i.test(message)) return `ALTER TABLE … OWNER TO ${who}; (Tenant Mirror alters and drops the tables it replicates)`;
  return `GRANT CREATE, TEMPORARY ON DATABASE ${q(database)} TO ${who}; and GRANT USAGE, CREATE ON SCHEMA <schema> TO ${who};`;
}

export function makePostgresClassifier(ctx: { user: string; database: string }): ErrorClassifier {
  return (err: unknown): ClassifiedError => {
    const own = classifyMirrorError(err);
    if (own) return own;
    const d = driverError(err) as (Error & { code?: string; table?: string; schema?: string; column?: string }) | undefined;
    const table = taggedTable(err) ?? (d?.table ? (d.schema ? `${d.schema}.${d.table}` : d.table).toLowerCase() : undefined);
    const where = table ? ` (table ${table})` : '';
    const code = d?.code ?? '';
    const msg = errorMessage(d ?? err);
    const out = (c: ClassifiedError): ClassifiedError => (table ? { ...c, table } : c);
    const retry = (c: ClassifiedError['code'], hint: string) => out({ action: 'retry', code: c, hint });
    const haltTable = (c: ClassifiedError['code'], hint: string) => out({ action: 'halt-table', code: c, hint });
    const haltAll = (c: ClassifiedError['code'], hint: string) => out({ action: 'halt-all', code: c, hint });

    if (SOCKET_CODES.has(code) || (!code && /Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|not queryable/i.test(msg))) {
      return retry('REPLICA_UNREACHABLE', `PostgreSQL cannot be reached: ${msg}. Check that the server runs and the host/port are right; retrying.`);
    }
    if (/^\d{2}[0-9A-Z]{3}$/.test(code)) {
      const cls = code.slice(0, 2);
      if (cls === '08') return retry('REPLICA_UNREACHABLE', `Connection to PostgreSQL failed (${code}): ${msg}; retrying.`);
      if (code === '40001' || code === '40P01') return retry('REPLICA_WRITE_FAILED', `Transaction aborted by PostgreSQL (${code === '40P01' ? 'deadlock' : 'serialization failure'})${where}: ${msg}; retrying.`);
      if (code === '55P03' || code === '57014') return retry('REPLICA_WRITE_FAILED', `A lock on the replica table could not be obtained in time${where}: ${msg}. Another session holds it (a long report or an open transaction); retrying.`);
      if (cls === '53') {
        if (code === '53100') return retry('REPLICA_LOG_FULL', `The PostgreSQL server is out of disk space${where}: ${msg}. Free space on the server; retrying.`);
        return retry('REPLICA_UNREACHABLE', `The PostgreSQL server is short of resources (${code})${where}: ${msg}; retrying.`);
      }
      if (code === '57P01' || code === '57P02' || code === '57P03' || code === '57P05') return retry('REPLICA_UNREACHABLE', `The PostgreSQL server is shutting down or restarting (${code}): ${msg}; retrying.`);
      if (code === '42501') return haltAll('REPLICA_PERMISSION', `The replica login ${ctx.user} lacks a right${where}: ${msg}. As an administrator run: ${grantHint(msg, ctx.user, ctx.database)}`);
      if (cls === '28') return haltAll('REPLICA_PERMISSION', `PostgreSQL refused the login ${ctx.user} (${code}): ${msg}. Check the user name and password (and pg_hba.conf).`);
      if (code === '3D000') return haltAll('REPLICA_UNREACHABLE', `The database ${ctx.database} does not exist: ${msg}. Create it (CREATE DATABASE ${q(ctx.database)}) or fix the replica settings.`);
      if (code === '23505') return haltTable('REPLICA_DUPLICATE_KEY', `A unique index rejected a row${where}: ${msg}. Upserts never collide on the primary key, so a unique index added on the replica table conflicts with the source data — drop it, then resnapshot the table.`);
      if (code === '21000') return haltTable('REPLICA_DUPLICATE_KEY', `One batch held two rows with the same key${where}: ${msg}. This is a bug in Tenant Mirror; resnapshot the table.`);
      if (code === '22001' || code === '22003' || code === '22008' || code === '22015') {
        return haltTable('SCHEMA_CONFLICT', `A value does not fit its column in the replica table${where}: ${msg}. The replica column is narrower than the source column; widen it (ALTER TABLE … ALTER COLUMN … TYPE …) or resnapshot the table.`);
      }
      if (cls === '22') return haltTable('REPLICA_WRITE_FAILED', `PostgreSQL rejected a value${where}: ${msg} (${code}). PostgreSQL text cannot hold NUL characters and jsonb needs valid JSON; the table is halted.`);
      if (cls === '23') return haltTable('REPLICA_WRITE_FAILED', `A constraint on the replica table rejected a row${where}: ${msg} (${code}). The replica table differs from the source definition (NOT NULL, CHECK or FOREIGN KEY added by hand); remove the constraint or resnapshot the table.`);
      if (code === '42P01' || code === '42703' || code === '42804' || code === '42P07' || code === '0A000' || code === '42P16') {
        return haltTable('SCHEMA_CONFLICT', `The replica table differs from the source definition${where}: ${msg} (${code}). It was changed outside Tenant Mirror (or a view blocks a column change); resnapshot the table.`);
      }
      if (code === '25P02' || code === '25P03') return retry('REPLICA_WRITE_FAILED', `The replica transaction was aborted${where}: ${msg}; retrying.`);
      if (code === '42P05' || code === '26000') return retry('REPLICA_WRITE_FAILED', `${msg}; retrying.`);
    }
    return haltTable('REPLICA_WRITE_FAILED', `Writing to the PostgreSQL replica failed${where}: ${msg}${code ? ` (${code})` : ''}.`);
  };
}
