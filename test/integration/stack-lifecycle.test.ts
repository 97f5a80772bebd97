/**
 * Real stack, own private processes (restarts would disturb a shared stack): Connect, Kafka and
 * MariaDB restarts keep streaming without a new snapshot; resetOffsets() makes the next start a full
 * initial snapshot; backup/restore replays the old state as DDL + inserts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, type Stack } from '../harness/stack.ts';
import type { Tenant } from '../harness/tenant.ts';
import type { TopicCollector } from '../harness/topic-reader.ts';
import { envelopeOf, parseJson } from '../harness/topic-reader.ts';

let stack: Stack;
let tenant: Tenant;
let cdc: TopicCollector;

before(async () => {
  stack = await startStack();
  tenant = await stack.createTenant({ seedRows: 500 });
  cdc = await tenant.collect();
  await cdc.drain(stack.kafka);
});
after(async () => {
  await cdc?.stop();
  await stack?.stop();
});

async function insertAndSee(name: string): Promise<void> {
  const from = cdc.messages.length;
  await tenant.source.query(`INSERT INTO ${tenant.source.qt('contact')} (name) VALUES (?)`, [name]);
  await cdc.waitFor((m) => envelopeOf(m)?.after?.name === name, { from, timeoutMs: 120_000 });
}

const snapshotReads = (from: number): number => cdc.messages.slice(from).filter((m) => envelopeOf(m)?.op === 'r').length;

test('restarts of Connect, Kafka and MariaDB keep streaming without re-snapshot', async () => {
  const from = cdc.messages.length;
  await stack.restartConnect();
  assert.equal((await tenant.connector.status())?.connector.state, 'RUNNING');
  await tenant.connector.start(); // waits for RUNNING (already created by the restart)
  await insertAndSee('after connect restart');
  await stack.restartKafka();
  await insertAndSee('after kafka restart');
  await stack.restartMariaDb();
  await insertAndSee('after mariadb restart');
  assert.equal(snapshotReads(from), 0, 'no snapshot records after restarts');
});

test('resetOffsets → next start is a full initial snapshot', async () => {
  const total = (await Promise.all((await tenant.source.tables()).map((t) => tenant.source.count(t)))).reduce((a, b) => a + b, 0);
  const nn = (await tenant.notifications()).length;
  const from = cdc.messages.length;
  const high = await tenant.cdcHighWatermark();
  await tenant.connector.resetOffsets();
  assert.deepEqual(await tenant.connector.offsets(), []);
  await tenant.connector.start();
  await tenant.waitForInitialSnapshot({ from: nn, cdcHighBefore: high });
  await cdc.waitForCount(total, (m) => envelopeOf(m)?.op === 'r', { from });
  assert.equal(snapshotReads(from), total);
  const markers = cdc.messages.slice(from).map((m) => envelopeOf(m)?.source.snapshot);
  assert.equal(markers.filter((x) => x === 'first').length, 1);
  assert.equal(markers.filter((x) => x === 'last').length, 1);
  await insertAndSee('after reset');
});

test('backup/restore brings back the old rows via DDL + inserts', async () => {
  const backup = await tenant.source.backup();
  const before = await tenant.source.checksum('contact');
  await tenant.source.workload({ ops: 100, tables: ['contact'], seed: 3 });
  assert.notEqual((await tenant.source.checksum('contact')).sha256, before.sha256);
  const sh = await tenant.collect(tenant.topics.schemaHistory);
  try {
    await sh.drain(stack.kafka);
    const s0 = sh.messages.length;
    const from = cdc.messages.length;
    await tenant.source.restore(backup);
    assert.equal((await tenant.source.checksum('contact')).sha256, before.sha256, 'source restored');
    const contactId = `"${tenant.database}"."contact"`;
    const ddl = await sh.waitForCount(2, (m) => (parseJson(m.value!) as { payload: { tableChanges: Array<{ id: string }> } }).payload.tableChanges[0]?.id === contactId, { from: s0 });
    const types = ddl.map((m) => (parseJson(m.value!) as { payload: { tableChanges: Array<{ type: string }> } }).payload.tableChanges[0]?.type);
    assert.deepEqual(types.slice(0, 2), ['DROP', 'CREATE']);
    await cdc.waitForCount(before.rows, (m) => envelopeOf(m)?.source.table === 'contact' && envelopeOf(m)?.op === 'c', { from, timeoutMs: 60_000 });
  } finally {
    await sh.stop();
  }
});
