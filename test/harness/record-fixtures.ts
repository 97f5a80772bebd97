/**
 * `npm run fixtures:record` — captures real Debezium MariaDB envelopes from the stack into
 * test/fixtures/mariadb/<name>.json. Each file holds one Kafka message exactly as consumed:
 *   { name, description, topic, partition, offset, timestamp, headers, key, value }
 * where `key` and `value` are the raw UTF-8 message bytes as strings (never re-serialised, so int64
 * values beyond 2^53 keep their digits; parse them with a lossless parser). `value: null` = tombstone.
 * index.json lists all fixtures; connector-config.json is the connector config that produced them.
 *
 * Uses MIRROR_STACK when set, otherwise starts a private stack. Tenant ctx is fixed (`fixture`), so
 * topic names in the fixtures are stable: fixture-cdc, fixture-schemahistory, fixture-notifications.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getSharedStack, stopStack } from './stack.ts';
import { envelopeOf, parseJson, type RawMessage, type TopicCollector } from './topic-reader.ts';
import { parseNotification } from './tenant.ts';
import { CRM_TABLE_NAMES } from './crm-schema.ts';
import { repoRoot, sleep } from './util.ts';

const outDir = join(repoRoot, 'test/fixtures/mariadb');
const ctx = process.env.FIXTURE_CTX ?? 'fixture';

interface IndexEntry { name: string; description: string; topic: string; op?: string | null; table?: string | null; snapshot?: string | null }
const index: IndexEntry[] = [];

function save(name: string, description: string, m: RawMessage | undefined): void {
  if (!m) throw new Error(`fixture ${name}: no message found`);
  const file = { name, description, topic: m.topic, partition: m.partition, offset: m.offset, timestamp: m.timestamp, headers: m.headers, key: m.key, value: m.value };
  writeFileSync(join(outDir, `${name}.json`), JSON.stringify(file, null, 2) + '\n');
  const env = m.topic.endsWith('-cdc') ? envelopeOf(m) : null;
  index.push({
    name, description, topic: m.topic,
    ...(m.topic.endsWith('-cdc') ? { op: env?.op ?? 'tombstone', table: env ? String(env.source.table) : null, snapshot: env ? (env.source.snapshot as string | null) : null } : {}),
  });
}

const env = (m: RawMessage) => envelopeOf(m);
const is = (table: string, op: string, snapshot?: string | null) => (m: RawMessage): boolean => {
  const e = env(m);
  return !!e && e.source.table === table && e.op === op && (snapshot === undefined || e.source.snapshot === snapshot);
};

async function main(): Promise<void> {
  const stack = await getSharedStack();
  try {
    const t0 = Date.now();
    // Every table gets 3 rows so each has first_in_data_collection / true / last_in_data_collection.
    const rows = Object.fromEntries(CRM_TABLE_NAMES.map((t) => [t, 3]));
    // Existing leftovers of an interrupted run
    const { connectorConfig } = await import('./tenant.ts');
    const topics = { cdc: `${ctx}-cdc`, schemaHistory: `${ctx}-schemahistory`, signal: `${ctx}-signal`, notifications: `${ctx}-notifications`, dbHistory: `${ctx}-dbhistory` };
    await stack.connect.deleteWithOffsets(`${ctx}-source`, connectorConfig({
      ctx, database: `crm_${ctx}`, serverId: 4242, brokers: stack.brokers, mariadb: stack.mariadb, topics, signalGroupId: `${ctx}-cleanup`, dropSignalEvents: true,
    }));
    const { deleteTopics } = await import('./kafka.ts');
    await deleteTopics(stack.kafka, [`${ctx}-cdc`, `${ctx}-schemahistory`, `${ctx}-signal`, `${ctx}-notifications`, `${ctx}-dbhistory`]);
    const old = new (await import('./source-db.ts')).CrmDatabase(stack.mariadb, `crm_${ctx}`);
    await old.drop();
    await old.close();
    await sleep(500);

    const tenant = await stack.createTenant({ ctx, seedRows: rows, seed: 42 });
    const collectors: TopicCollector[] = [];
    try {
      const cdc = await tenant.collect();
      const sh = await tenant.collect(tenant.topics.schemaHistory);
      const dbh = await tenant.collect(tenant.topics.dbHistory);
      collectors.push(cdc, sh, dbh);
      const notes = await tenant.notificationReader();
      await cdc.drain(stack.kafka);
      await sh.drain(stack.kafka);
      const nInit = cdc.messages.length; // the initial snapshot, complete (createTenant waited for it)
      const db = tenant.source;
      const q = (t: string): string => db.qt(t);

      // ---- streaming DML ----
      let n = cdc.messages.length;
      await db.query(`INSERT INTO ${q('contact')} (contact_id, name, department, number1, orgnr, business_idx, category_idx, associate_id, country_id, deleted, nomailing,
          xstop, active_erp_links, revenue, score, rating, big_counter, text_id, guid, registered, updated, updated_utc)
        VALUES (1000, 'Ærøskøbing O''Brien 😀 "q" \\\\ tab\\t', NULL, '0047', NULL, 3, 4, 1, 578, b'1', 1,
          -128, 4294967295, -12345678901234.56, 1.7976931348623157e308, -0.25, 9223372036854775807, NULL, '123e4567-e89b-42d3-a456-426614174000',
          '2024-02-29 23:59:59.999999', '1999-12-31 23:59:59.999', '2038-01-19 03:14:07.499999')`);
      await db.query(`INSERT INTO ${q('contact')} (contact_id, revenue, big_counter) VALUES (1001, NULL, -9223372036854775808)`);
      await db.query(`INSERT INTO ${q('projectmember')} (project_id, person_id, comment, member_rank, registered) VALUES (7, 70, '', NULL, '2020-01-01 00:00:00.000001')`);
      await db.query(`INSERT INTO ${q('document')} (document_id, header, size_bytes, content, sha256, content_type, registered)
        VALUES (1000, 'bin', 0, X'00FF10', X'${'ab'.repeat(31)}00', NULL, '2001-01-01 00:00:00.000000')`);
      await db.query(`INSERT INTO ${q('udcontactsmall')} (udcontactsmall_id, contact_id, date01, datetime01, time01, bool01, bit01, decimal01, double01)
        VALUES (1000, 1000, '0001-01-01', '9999-12-31 23:59:59', '23:59:59.999999', 0, b'0', -0.01, -2.5e-300)`);
      await db.query(`INSERT INTO ${q('text')} (text_id, text, registered) VALUES (1000, REPEAT('Lorem ipsum ✓ ', 400), NULL)`);
      await db.query(`UPDATE ${q('contact')} SET name = 'renamed', revenue = 0.00, updated = NULL WHERE contact_id = 1000`);
      await db.query(`UPDATE ${q('contact')} SET contact_id = 2000 WHERE contact_id = 1001`);
      await db.query(`DELETE FROM ${q('contact')} WHERE contact_id = 1000`);
      // c×6, u×1, pk change (d + tombstone + c), d + tombstone
      await cdc.waitForCount(6 + 1 + 3 + 2, () => true, { from: n });

      // ---- DDL ----
      const s0 = sh.messages.length;
      await db.addColumn('contact', 'vat_no', "VARCHAR(20) NULL DEFAULT 'n/a'");
      await db.addTable('invoice', { rows: 1 });
      await db.incompatibleChange('sale', { column: 'probability' });
      await db.dropTable('invoice');
      await sh.waitForCount(4, () => true, { from: s0 });
      n = cdc.messages.length;
      await db.query(`INSERT INTO ${q('contact')} (contact_id, name, vat_no) VALUES (3000, 'after alter', 'NO999')`);
      await cdc.waitFor(is('contact', 'c'), { from: n });

      // ---- incremental snapshot (Kafka signal) ----
      let nn = notes.messages.length;
      const incId = await tenant.signal.executeSnapshot(['contact'], 'incremental');
      await tenant.waitForNotification((x) => x.id === incId && x.type === 'COMPLETED', { from: nn });
      const contacts = await db.count('contact');
      await cdc.waitForCount(contacts, (m) => env(m)?.source.snapshot === 'incremental');

      // ---- blocking snapshot ----
      nn = notes.messages.length;
      await sleep(1000);
      await cdc.drain(stack.kafka);
      n = cdc.messages.length;
      const nBlock = n;
      await tenant.signal.executeSnapshot(['sale'], 'blocking');
      await tenant.waitForNotification((x) => x.aggregate_type === 'Initial Snapshot' && x.type === 'COMPLETED', { from: nn });
      await cdc.waitForCount(3, (m) => env(m)?.source.table === 'sale' && env(m)?.op === 'r', { from: n });
      await sleep(1500);
      await cdc.drain(stack.kafka);
      await dbh.drain(stack.kafka);

      // ---- write fixtures ----
      rmSync(outDir, { recursive: true, force: true });
      mkdirSync(outDir, { recursive: true });
      const all = cdc.messages;
      const snap = all.slice(0, nInit);
      save('r-first', 'initial snapshot: the very first record (source.snapshot=first)', snap.find((m) => env(m)?.source.snapshot === 'first'));
      save('r-last', 'initial snapshot: the very last record (source.snapshot=last)', snap.find((m) => env(m)?.source.snapshot === 'last'));
      save('r-first_in_data_collection', 'initial snapshot: first record of a table (contact)', snap.find((m) => is('contact', 'r', 'first_in_data_collection')(m)));
      save('r-true', 'initial snapshot: a middle record (source.snapshot=true), contact', snap.find((m) => is('contact', 'r', 'true')(m)));
      save('r-last_in_data_collection', 'initial snapshot: last record of a table (contact)', snap.find((m) => is('contact', 'r', 'last_in_data_collection')(m)));
      for (const t of CRM_TABLE_NAMES) {
        save(`r-table-${t}`, `initial snapshot record of ${t} (column type coverage)`, snap.find((m) => env(m)?.source.table === t && env(m)?.source.snapshot === 'true'));
      }
      save('r-incremental', 'incremental snapshot record (execute-snapshot via Kafka signal), contact', all.find((m) => env(m)?.source.snapshot === 'incremental'));
      const blocking = all.slice(nBlock).filter(is('sale', 'r')).sort((a, b) => Number(env(a)!.source.pos) - Number(env(b)!.source.pos));
      for (const marker of ['first', 'true', 'last']) {
        save(`r-blocking-${marker}`, `blocking snapshot (execute-snapshot type=blocking) of sale: source.snapshot=${marker}`, blocking.find((m) => env(m)?.source.snapshot === marker));
      }

      const streaming = all.filter((m) => { const e = env(m); return m.value === null || (e && e.op !== 'r'); });
      const keyed = (table: string, field: string, id: number) => (m: RawMessage): boolean => {
        if (!m.key) return false;
        const k = parseJson(m.key) as { schema: { name: string }; payload: Record<string, unknown> };
        return k.schema.name.endsWith(`.${table}.Key`) && k.payload[field] === id;
      };
      save('c-contact-edge-values', 'insert: unicode/emoji/quotes/backslash, BIT(1)=1, TINYINT -128, INT UNSIGNED max, negative DECIMAL, DOUBLE max, BIGINT max, DATETIME(6) leap day, TIMESTAMP(6) near 2038',
        streaming.find((m) => keyed('contact', 'contact_id', 1000)(m) && env(m)?.op === 'c'));
      save('c-contact-defaults', 'insert leaving columns to their DEFAULTs, explicit NULL into a nullable column with DEFAULT 0.00 (revenue), BIGINT min',
        streaming.find((m) => keyed('contact', 'contact_id', 1001)(m) && env(m)?.op === 'c'));
      save('c-projectmember-composite-key', 'insert into the composite-PK table (key has project_id, person_id)', streaming.find(is('projectmember', 'c')));
      save('c-document-binary', 'insert with BLOB, BINARY(32) and NULL in a nullable column with a string DEFAULT', streaming.find(is('document', 'c')));
      save('c-udcontactsmall-extremes', 'insert: DATE 0001-01-01, DATETIME 9999-12-31 23:59:59, TIME(6) 23:59:59.999999, TINYINT(1) 0, BIT(1) 0, DECIMAL -0.01, tiny DOUBLE', streaming.find(is('udcontactsmall', 'c')));
      save('c-text-longtext', 'insert of a ~6 KB LONGTEXT', streaming.find(is('text', 'c')));
      save('u-contact', 'update: name, revenue→0.00, updated→NULL (before and after are full rows)', streaming.find((m) => keyed('contact', 'contact_id', 1000)(m) && env(m)?.op === 'u'));
      save('d-contact', 'delete (before = full row, after = null)', streaming.find((m) => keyed('contact', 'contact_id', 1000)(m) && env(m)?.op === 'd'));
      save('tombstone-contact', 'tombstone after the delete: same key, null value', streaming.find((m) => keyed('contact', 'contact_id', 1000)(m) && m.value === null));
      save('pk-change-d', 'primary-key update 1001→2000: delete of the old key (header __debezium.newkey)', streaming.find((m) => keyed('contact', 'contact_id', 1001)(m) && env(m)?.op === 'd'));
      save('pk-change-tombstone', 'primary-key update: tombstone of the old key', streaming.find((m) => keyed('contact', 'contact_id', 1001)(m) && m.value === null));
      save('pk-change-c', 'primary-key update: create of the new key (header __debezium.oldkey)', streaming.find((m) => keyed('contact', 'contact_id', 2000)(m) && env(m)?.op === 'c'));
      save('c-contact-after-alter', 'insert after ALTER TABLE ADD COLUMN vat_no: the schema has the new field', streaming.find((m) => keyed('contact', 'contact_id', 3000)(m)));

      const schemaMsgs = sh.messages.map((m) => ({ m, p: (parseJson(m.value!) as { payload: { ddl: string; tableChanges: Array<{ type: string; id: string }> } }).payload }));
      const findSchema = (pred: (p: { ddl: string; tableChanges: Array<{ type: string; id: string }> }) => boolean): RawMessage | undefined => schemaMsgs.find((x) => pred(x.p))?.m;
      save('schema-snapshot-set-charset', 'schema change during the initial snapshot: SET character_set_server (databaseName "", no tableChanges)', findSchema((p) => p.ddl.startsWith('SET ')));
      save('schema-snapshot-drop-table', 'schema change during the initial snapshot: DROP TABLE IF EXISTS (tableChanges type DROP) — emitted before every CREATE', findSchema((p) => p.ddl.startsWith('DROP TABLE') && p.tableChanges[0]?.id.endsWith('"contact"') === true));
      save('schema-snapshot-create-database', 'schema change during the initial snapshot: CREATE DATABASE (no tableChanges)', findSchema((p) => p.ddl.startsWith('CREATE DATABASE')));
      save('schema-snapshot-create-table', 'schema change during the initial snapshot: CREATE TABLE contact (tableChanges type CREATE)', findSchema((p) => p.ddl.startsWith('CREATE TABLE') && p.tableChanges[0]?.id.endsWith('"contact"') === true));
      save('schema-snapshot-create-table-composite-pk', 'initial snapshot: CREATE TABLE projectmember (composite PK)', findSchema((p) => p.ddl.startsWith('CREATE TABLE') && p.tableChanges[0]?.id.endsWith('"projectmember"') === true));
      save('schema-alter-add-column', 'streaming: ALTER TABLE contact ADD COLUMN (tableChanges type ALTER, whole table)', findSchema((p) => /ADD COLUMN/.test(p.ddl)));
      save('schema-create-table', 'streaming: CREATE TABLE invoice', findSchema((p) => p.tableChanges[0]?.type === 'CREATE' && p.tableChanges[0].id.endsWith('"invoice"')));
      save('schema-alter-modify-type', 'streaming: ALTER TABLE sale MODIFY probability TINYINT → VARCHAR(64) (incompatible change)', findSchema((p) => /MODIFY COLUMN/.test(p.ddl)));
      save('schema-drop-table', 'streaming: DROP TABLE invoice (tableChanges type DROP)', findSchema((p) => p.tableChanges[0]?.type === 'DROP' && p.tableChanges[0].id.endsWith('"invoice"')));
      save('dbhistory-create-table', 'connector-internal schema history record (raw JSON, no Connect envelope, null key)', dbh.messages.find((m) => m.value?.includes('"CREATE TABLE `contact`')));

      const parsed = notes.messages.map(parseNotification);
      const pick = (agg: string, type: string, nth = 0): RawMessage | undefined => parsed.filter((x) => x.aggregate_type === agg && x.type === type)[nth]?.raw;
      for (const type of ['STARTED', 'IN_PROGRESS', 'TABLE_SCAN_COMPLETED', 'COMPLETED']) {
        save(`notification-initial-${type.toLowerCase()}`, `notification: Initial Snapshot ${type}`, pick('Initial Snapshot', type));
        save(`notification-incremental-${type.toLowerCase()}`, `notification: Incremental Snapshot ${type}`, pick('Incremental Snapshot', type));
      }
      save('notification-blocking-completed', 'notification: blocking snapshot COMPLETED (aggregate_type "Initial Snapshot" as well)', pick('Initial Snapshot', 'COMPLETED', 1));

      writeFileSync(join(outDir, 'index.json'), JSON.stringify(index, null, 2) + '\n');
      const cfg = { ...tenant.connector.config, 'database.port': '<port>', 'database.password': '<dbz password>', 'signal.kafka.bootstrap.servers': '<brokers>', 'schema.history.internal.kafka.bootstrap.servers': '<brokers>' };
      writeFileSync(join(outDir, 'connector-config.json'), JSON.stringify(cfg, null, 2) + '\n');
      console.log(`recorded ${index.length} fixtures into ${outDir} in ${Date.now() - t0} ms`);
    } finally {
      for (const c of collectors) await c.stop();
      await tenant.stop();
    }
  } finally {
    await stopStack();
  }
}

await main();
