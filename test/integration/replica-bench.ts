/**
 * Apply throughput of the SQLite and PostgreSQL replicas (not a test; run by hand):
 *   node test/integration/replica-bench.ts [sqlite|postgres|both] [rows=200000]
 * Narrow rows (bigint PK, varchar(50), int, numeric(18,2)); one apply() per batch, each with a state row.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Replica } from '../../main/engine/replica/replica.ts';
import { createPostgresReplica } from '../../main/engine/replica/postgres/index.ts';
import { createSqliteReplica } from '../../main/engine/replica/sqlite/index.ts';
import type { Row, TableDef } from '../../main/engine/schema/table-model.ts';

const which = process.argv[2] ?? 'both';
const TOTAL = Number(process.argv[3] ?? 200000);
const def: TableDef = {
  schema: 'bench', name: 'narrow', primaryKey: ['id'],
  columns: [
    { name: 'id', type: { kind: 'int', bits: 64 }, nullable: false },
    { name: 'name', type: { kind: 'string', length: 50, fixed: false }, nullable: true },
    { name: 'qty', type: { kind: 'int', bits: 32 }, nullable: true },
    { name: 'price', type: { kind: 'decimal', precision: 18, scale: 2 }, nullable: true },
  ],
};

async function run(label: string, r: Replica): Promise<void> {
  await r.connect();
  await r.ensureStateTable();
  for (const batch of [10, 50, 200, 2000, 10000]) {
    const n = Math.min(TOTAL, batch * 2000);
    const base = BigInt(batch) * 100_000_000n;
    const phase = async (what: string, make: (i: number) => { upserts: Row[]; deletes: Row[] }): Promise<string> => {
      const t0 = performance.now();
      for (let s = 0; s < n; s += batch) {
        const { upserts, deletes } = make(s);
        await r.apply({ tables: [{ table: def, upserts, deletes, markSeen: false }], state: [{ id: 'offset:bench:0', kind: 'offset', value: String(s) }] });
      }
      return `${what} ${Math.round((n / (performance.now() - t0)) * 1000)}/s`;
    };
    const rows = (s: number, tag: string) => Array.from({ length: batch }, (_, i) => ({ id: base + BigInt(s + i), name: `${tag} ${s + i}`, qty: s + i, price: '12.34' }));
    const ins = await phase('insert', (s) => ({ upserts: rows(s, 'name'), deletes: [] }));
    const upd = await phase('update', (s) => ({ upserts: rows(s, 'upd'), deletes: [] }));
    const del = await phase('delete', (s) => ({ upserts: [], deletes: rows(s, '').map((x) => ({ id: x.id })) }));
    console.log(`${label} batch=${batch} rows=${n}: ${ins}  ${upd}  ${del}`);
  }
}

if (which === 'sqlite' || which === 'both') {
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-'));
  const r = createSqliteReplica({ file: join(dir, 'bench.db'), tablePrefix: '' });
  try {
    await r.connect();
    await r.createTable(def);
    await run('sqlite  ', r);
  } finally {
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (which === 'postgres' || which === 'both') {
  const db = `tm_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ host: process.env.PGHOST ?? '127.0.0.1', user: process.env.PGUSER ?? 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${db}`);
  const r = createPostgresReplica({ host: process.env.PGHOST ?? '127.0.0.1', database: db, user: process.env.PGUSER ?? 'postgres', tablePrefix: '' });
  try {
    await r.connect();
    await r.createTable(def);
    await run('postgres', r);
  } finally {
    await r.close();
    await admin.query(`DROP DATABASE ${db} WITH (FORCE)`);
    await admin.end();
  }
}
