/**
 * Security: hostile table / column / schema names (quotes, semicolons, comments, unicode, 63-byte
 * names) executed through the PostgreSQL dialect against a real database: create schema + table,
 * upsert twice, read back; the catalog must hold exactly the hostile names and nothing else.
 * The lexical checks for every dialect are in test/unit/identifier-fuzz.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { PostgresDialect } from '../../main/engine/replica/postgres/dialect.ts';
import type { TableDef } from '../../main/engine/schema/table-model.ts';
import { hostileIdentifier, prng } from '../doubles/hostile-identifiers.ts';
import { getSharedStack, stopStack, type PostgresDatabase } from '../harness/stack.ts';

const ROUNDS = Number(process.env.FUZZ_ROUNDS_PG ?? 40);

describe('hostile identifiers on a real PostgreSQL', { timeout: 300_000 }, () => {
  let db: PostgresDatabase;
  let client: pg.Client;
  before(async () => {
    db = await (await getSharedStack()).createPostgresDatabase();
    client = new pg.Client(db.config);
    await client.connect();
  });
  after(async () => { await client?.end().catch(() => undefined); await db?.drop().catch(() => undefined); await stopStack(); });

  it(`${ROUNDS} random hostile tables: create, upsert, read back, drop`, async () => {
    const rand = prng(Number(process.env.FUZZ_SEED ?? 4242));
    const d = new PostgresDialect({ tablePrefix: '' });
    const schemas = new Set<string>();
    for (let i = 0; i < ROUNDS; i++) {
      const names = new Set<string>();
      while (names.size < 3) names.add(hostileIdentifier(rand, 63, 63));
      const [pk, a, b] = [...names] as [string, string, string];
      const def: TableDef = {
        schema: hostileIdentifier(rand, 63, 63), name: hostileIdentifier(rand, 63, 63), primaryKey: [pk],
        columns: [
          { name: pk, type: { kind: 'int', bits: 64 }, nullable: false },
          { name: a, type: { kind: 'string', length: null, fixed: false }, nullable: true },
          { name: b, type: { kind: 'decimal', precision: 10, scale: 2 }, nullable: true },
        ],
      };
      const cols = def.columns.map((c) => c.name);
      schemas.add(def.schema);
      await client.query(d.createSchema(def.schema));
      for (const s of d.createTable(def)) await client.query(s);
      const text = `v${i} '";--]`;
      await client.query(d.upsertValues(def, cols, 1), [i, text, '12.50']);
      await client.query(d.upsertValues(def, cols, 1), [i, `${text}!`, '13.00']);
      const info = await client.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position', [def.schema, def.name]);
      assert.deepEqual(info.rows.map((r) => r.column_name), cols, `columns of ${JSON.stringify(def.name)} stored exactly`);
      const rows = await client.query({ text: d.selectRows(def), rowMode: 'array' });
      assert.deepEqual(rows.rows, [[String(i), `${text}!`, '13.00']]);
      for (const s of d.dropTable(def)) await client.query(s);
    }
    const left = await client.query<{ n: string }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`);
    assert.equal(Number(left.rows[0]!.n), 0, 'every hostile table was dropped again and nothing else was created');
    const made = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)`, [[...schemas]]);
    assert.equal(made.rows.length, schemas.size, 'every hostile schema exists under exactly its own name');
  });
});
