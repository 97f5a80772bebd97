/**
 * Replica correctness is checked by comparing row contents with the source: per-table checksums of
 * canonical rows (the harness's canonical form), with the first differing row in the failure message.
 */
import assert from 'node:assert/strict';
import type { Replica } from '../../../main/engine/replica/dialect.ts';
import { fromStateJson } from '../../../main/engine/state/json.ts';
import type { TableRecord } from '../../../main/engine/state/records.ts';
import { checksumRows, rowText, sortRows } from '../../harness/source-db.ts';
import type { Tenant } from '../../harness/tenant.ts';

export interface Comparison { table: string; equal: boolean; sourceRows: number; replicaRows: number; detail: string }

export async function tableRecords(replica: Replica): Promise<Map<string, TableRecord>> {
  const out = new Map<string, TableRecord>();
  for (const r of await replica.readState()) if (r.kind === 'table') { const t = fromStateJson<TableRecord>(r.value); out.set(t.name.toLowerCase(), t); }
  return out;
}

export async function compareWithSource(tenant: Tenant, replica: Replica, tables?: string[]): Promise<Comparison[]> {
  const recs = await tableRecords(replica);
  const names = tables ?? await tenant.source.tables();
  const out: Comparison[] = [];
  for (const t of names) {
    const pk = await tenant.source.primaryKey(t);
    const src = sortRows(await tenant.source.readRows(t), pk);
    const rec = recs.get(t.toLowerCase());
    if (!rec) { out.push({ table: t, equal: src.length === 0, sourceRows: src.length, replicaRows: 0, detail: 'table missing in replica' }); continue; }
    let read: Awaited<ReturnType<Replica['readRows']>>;
    try { read = await replica.readRows(rec.def); } catch (err) {
      // e.g. a table being dropped and recreated by an incompatible schema change: not equal (yet).
      out.push({ table: t, equal: false, sourceRows: src.length, replicaRows: 0, detail: `cannot read the replica table: ${(err as Error).message}` });
      continue;
    }
    const rep = sortRows(read, pk);
    // FLOAT (float32) columns: MariaDB's text protocol prints 6 significant digits; compare at that precision.
    const f32 = rec.def.columns.filter((c) => c.type.kind === 'float' && c.type.bits === 32).map((c) => c.name);
    for (const row of [...src, ...rep]) for (const c of f32) { const v = row[c]; if (typeof v === 'number') row[c] = Number(Math.fround(v).toPrecision(6)); }
    const a = checksumRows(src, pk);
    const b = checksumRows(rep, pk);
    let detail = '';
    if (a.sha256 !== b.sha256) {
      for (let i = 0; i < Math.max(src.length, rep.length); i++) {
        const x = src[i] ? rowText(src[i]!) : '(none)';
        const y = rep[i] ? rowText(rep[i]!) : '(none)';
        if (x !== y) { detail = `row ${i}: source ${x.slice(0, 400)} | replica ${y.slice(0, 400)}`; break; }
      }
    }
    out.push({ table: t, equal: a.sha256 === b.sha256, sourceRows: a.rows, replicaRows: b.rows, detail });
  }
  return out;
}

/** Retries the comparison until equal (CDC is asynchronous) or the timeout passes, then asserts. */
export async function assertEventuallyEqual(tenant: Tenant, replica: Replica, opts: { timeoutMs?: number; tables?: string[] } = {}): Promise<Comparison[]> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let last: Comparison[] = [];
  for (;;) {
    last = await compareWithSource(tenant, replica, opts.tables);
    if (last.every((c) => c.equal)) return last;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const bad = last.filter((c) => !c.equal);
  assert.fail(`replica differs from source in ${bad.length} table(s):\n${bad.map((c) => `  ${c.table}: source ${c.sourceRows} rows, replica ${c.replicaRows}; ${c.detail}`).join('\n')}`);
}
