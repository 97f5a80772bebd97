/**
 * Replica correctness is checked by comparing row contents with the source: per-table checksums of
 * canonical rows (the harness's canonical form, test/harness/source-db.ts), with the first differing
 * row in the failure message.
 *
 * Both sides are read independently of the product: the source with plain SQL on MariaDB (explicit
 * casts, CrmDatabase.readRows), the replica with plain SQL over a connection of its own
 * (test/harness/replica-reader.ts), finding each table by the documented naming convention and its
 * columns in the replica's catalog. Nothing is rounded: FLOAT is compared as the exact float32 value
 * the source holds (MariaDB stores FLOAT as IEEE float32; the 6 significant digits of its text
 * protocol are a display precision, not the column's, so no 6-digit comparison is made here).
 */
import assert from 'node:assert/strict';
import type { Replica } from '../../../main/engine/replica/replica.ts';
import { fromStateJson } from '../../../main/engine/state/json.ts';
import type { TableRecord } from '../../../main/engine/state/records.ts';
import type { Row } from '../../../main/engine/schema/table-model.ts';
import { openReplicaReader, type ReplicaLocation, type ReplicaReader } from '../../harness/replica-reader.ts';
import { checksumRows, rowText, sortRows, valueText } from '../../harness/source-db.ts';
import type { Tenant } from '../../harness/tenant.ts';
import { differingKeys, keyHistory } from './key-history.ts';

export interface Comparison { table: string; equal: boolean; sourceRows: number; replicaRows: number; detail: string; keys?: Row[] }

/** The product's table records by exact source table name (engine state: stale / halted, definitions). Not used for the comparison. */
export async function tableRecords(replica: Replica): Promise<Map<string, TableRecord>> {
  const out = new Map<string, TableRecord>();
  for (const r of await replica.readState()) if (r.kind === 'table') { const t = fromStateJson<TableRecord>(r.value); out.set(t.name, t); }
  return out;
}

/** First difference of two PK-sorted canonical row lists, in words. */
function firstDifference(src: Row[], rep: Row[], pk: string[]): string {
  for (let i = 0; i < Math.max(src.length, rep.length); i++) {
    const x = src[i], y = rep[i];
    const xt = x ? rowText(x) : '(none)';
    const yt = y ? rowText(y) : '(none)';
    if (xt === yt) continue;
    let cols = '';
    if (x && y && pk.every((k) => valueText(x[k] ?? null) === valueText(y[k] ?? null))) {
      const names = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      cols = names.filter((k) => !(k in x) || !(k in y) || valueText(x[k] ?? null) !== valueText(y[k] ?? null))
        .map((k) => `${k}: source ${k in x ? valueText(x[k] ?? null).slice(0, 120) : '(no column)'} / replica ${k in y ? valueText(y[k] ?? null).slice(0, 120) : '(no column)'}`).join('; ');
    }
    return `row ${i}${cols ? ` (${pk.map((k) => `${k}=${valueText(x![k] ?? null)}`).join(', ')}): ${cols}` : ''} | source ${xt.slice(0, 400)} | replica ${yt.slice(0, 400)}`;
  }
  return '';
}

/**
 * Compares the listed source tables (default: all) with the replica at `where` (Settings, or any
 * `{ replica, tablePrefix }`). A table missing in the replica, or one it cannot read (e.g. being
 * rebuilt), is not equal.
 */
export async function compareWithSource(tenant: Tenant, where: ReplicaLocation, tables?: string[]): Promise<Comparison[]> {
  const names = tables ?? await tenant.source.tables();
  const out: Comparison[] = [];
  let reader: ReplicaReader;
  try { reader = await openReplicaReader(where); } catch (err) {
    return names.map((t) => ({ table: t, equal: false, sourceRows: 0, replicaRows: 0, detail: `cannot open the replica: ${(err as Error).message}` }));
  }
  try {
    for (const t of names) {
      const cols = await tenant.source.columns(t);
      const pk = await tenant.source.primaryKey(t);
      const src = sortRows(await tenant.source.readRows(t), pk);
      let read: Awaited<ReturnType<ReplicaReader['readTable']>>;
      try { read = await reader.readTable(tenant.source.database, t, cols); } catch (err) {
        // e.g. a table being dropped and recreated by an incompatible schema change: not equal (yet).
        out.push({ table: t, equal: false, sourceRows: src.length, replicaRows: 0, detail: `cannot read the replica table: ${(err as Error).message}` });
        continue;
      }
      if (!read) { out.push({ table: t, equal: false, sourceRows: src.length, replicaRows: 0, detail: 'table missing in replica' }); continue; }
      const rep = sortRows(read.rows, pk);
      const a = checksumRows(src, pk);
      const b = checksumRows(rep, pk);
      const equal = a.sha256 === b.sha256;
      const detail = equal ? '' : `${read.name}: ${firstDifference(src, rep, pk)}`;
      out.push({ table: t, equal, sourceRows: a.rows, replicaRows: b.rows, detail, keys: equal ? [] : differingKeys(src, rep, pk, rowText) });
    }
  } finally {
    await reader.close();
  }
  return out;
}

/** Retries the comparison until equal (CDC is asynchronous) or the timeout passes, then asserts. */
export async function assertEventuallyEqual(tenant: Tenant, where: ReplicaLocation, opts: { timeoutMs?: number; tables?: string[] } = {}): Promise<Comparison[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: Comparison[] = [];
  for (;;) {
    last = await compareWithSource(tenant, where, opts.tables);
    if (last.every((c) => c.equal)) return last;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const bad = last.filter((c) => !c.equal);
  let history = '';
  for (const c of bad.slice(0, 4)) history += await keyHistory(tenant, c.table, c.keys ?? []);
  assert.fail(`replica differs from source in ${bad.length} table(s):\n${bad.map((c) => `  ${c.table}: source ${c.sourceRows} rows, replica ${c.replicaRows}; ${c.detail}`).join('\n')}${history}`);
}
