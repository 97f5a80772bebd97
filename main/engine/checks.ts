/**
 * Connection probes used by `validate`, the wizard's "Test connection" and the IPC handlers.
 * Each item says what was checked, whether it passed, and how to fix it.
 */
import type { CheckItem, CheckReport, TableChoice } from '../../preload/contract/api.ts';
import type { ReplicaSettings, Settings } from '../../preload/contract/settings.ts';
import { tableId } from './schema/table-model.ts';
import { createTableFilter } from './schema/table-filter.ts';
import { historyToChanges } from './schema/from-history.ts';
import type { TableChange } from './schema/from-history.ts';
import { parseLossless } from './decode/json.ts';
import { createKafka } from './source/kafka-client.ts';
import { readTopicToEnd } from './source/read-topic.ts';
import { tenantTopics } from './source/topics.ts';
import { createReplica } from './replica/create-replica.ts';
import { openingError } from './replica/classified-error.ts';
import { MirrorError } from './errors.ts';
import { silentLogger } from './log.ts';

const report = (items: CheckItem[]): CheckReport => ({ ok: items.every((i) => i.ok), items });
const msg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export async function testKafka(tenant: Settings['tenant']): Promise<CheckReport> {
  const items: CheckItem[] = [];
  const topics = tenantTopics(tenant.ctx);
  let kafka;
  try { kafka = createKafka(tenant, silentLogger); } catch (err) {
    const fix = err instanceof MirrorError && err.code === 'SECRET_ENV_MISSING' ? String(err.detail?.fix ?? '') : 'check the SASL password setting';
    return report([{ name: 'kafka settings', ok: false, message: msg(err), fix }]);
  }
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    items.push({ name: 'cluster reachable', ok: true, message: `${cluster.brokers.length} broker(s), controller ${cluster.controller}`, fix: null });
  } catch (err) {
    items.push({ name: 'cluster reachable', ok: false, message: msg(err), fix: `check the broker addresses (${tenant.brokers.join(', ')}), TLS and SASL settings, and that outbound traffic to them is allowed` });
    await admin.disconnect().catch(() => undefined);
    return report(items);
  }
  // A topic that is not there is said at once: asking for its offsets would retry for ~30 s first.
  const visible = await admin.listTopics().then((l) => new Set(l), () => null);
  const missing = visible ? [topics.cdc, topics.schemaHistory, topics.signal].filter((t) => !visible.has(t)) : [];
  if (missing.length) {
    items.push({
      name: 'tenant topics exist', ok: false, message: `topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist (or this login may not see ${missing.length > 1 ? 'them' : 'it'})`,
      fix: `check the tenant id "${tenant.ctx}": its topics are ${tenant.ctx}-cdc, ${tenant.ctx}-schemahistory and ${tenant.ctx}-signal; if it is right, ask your provider to grant this login DESCRIBE and READ on them`,
    });
    await admin.disconnect().catch(() => undefined);
    return report(items);
  }
  for (const [name, topic] of [['change topic readable', topics.cdc], ['schema topic readable', topics.schemaHistory]] as const) {
    try {
      const offs = await admin.fetchTopicOffsets(topic);
      items.push({ name, ok: true, message: `${topic}: ${offs.length} partition(s)`, fix: null });
    } catch (err) {
      items.push({ name, ok: false, message: `${topic}: ${msg(err)}`, fix: `check the tenant id "${tenant.ctx}" and that this login may read ${topic}` });
    }
  }
  await admin.disconnect().catch(() => undefined);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect();
    // A key other than the connector's topic prefix is ignored by Debezium: a harmless write probe.
    await producer.send({ topic: topics.signal, acks: -1, messages: [{ key: 'tenant-mirror-validate', value: '{"type":"log","data":{"message":"tenant-mirror validate"}}' }] });
    items.push({ name: 'signal topic writable', ok: true, message: topics.signal, fix: null });
  } catch (err) {
    items.push({ name: 'signal topic writable', ok: false, message: `${topics.signal}: ${msg(err)}`, fix: `grant this login WRITE on ${topics.signal} (resyncs are requested there)` });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  return report(items);
}

export async function testReplica(replicaSettings: ReplicaSettings, tablePrefix: string): Promise<CheckReport> {
  const items: CheckItem[] = [];
  let replica;
  try {
    replica = await createReplica({ replica: replicaSettings, tablePrefix });
    await replica.connect();
    items.push({ name: 'replica reachable', ok: true, message: replicaSettings.kind, fix: null });
  } catch (err) {
    const missingEnv = err instanceof MirrorError && err.code === 'SECRET_ENV_MISSING' ? String(err.detail?.fix ?? '') : null;
    // What the replica's classifier says about the driver's error (a missing database, a file that is no database, a refused login).
    const classified = replica && !(err instanceof MirrorError) ? openingError(replica.classifyError, err).message : null;
    items.push({ name: 'replica reachable', ok: false, message: msg(err), fix: missingEnv ?? classified ?? (replicaSettings.kind === 'sqlite' ? 'choose a writable folder for the database file' : 'check server, port, database name and login') });
    return report(items);
  }
  try {
    const rights = await replica.checkRights();
    items.push({ name: 'replica rights', ok: rights.ok, message: rights.ok ? 'can create and write tables' : rights.missing.join('; '), fix: rights.ok ? null : rights.missing.join('; ') });
  } catch (err) {
    items.push({ name: 'replica rights', ok: false, message: msg(err), fix: 'grant db_owner (SQL Server) or CREATE on the database (PostgreSQL)' });
  } finally {
    await replica.close().catch(() => undefined);
  }
  return report(items);
}

/** Tables the tenant publishes (from `<ctx>-schemahistory`), with the blocked list applied. */
export async function listTables(tenant: Settings['tenant'], tables: Settings['tables'] = { include: [], exclude: [], honourBlockedList: true }): Promise<TableChoice[]> {
  const kafka = createKafka(tenant, silentLogger);
  const msgs = await readTopicToEnd(kafka, tenantTopics(tenant.ctx).schemaHistory);
  const filter = createTableFilter(tables);
  const seen = new Map<string, TableChoice>();
  for (const m of msgs) {
    if (!m.value) continue;
    const v = parseLossless(m.value) as { payload?: { tableChanges?: TableChange[]; source?: { connector?: string } } };
    for (const ch of historyToChanges(v.payload?.tableChanges ?? [], v.payload?.source?.connector ?? 'mysql')) {
      const name = ch.idParts[ch.idParts.length - 1] ?? '';
      const schema = ch.def?.schema ?? ch.idParts[0] ?? '';
      const id = tableId({ schema, name });
      if (ch.type === 'DROP') { seen.delete(id); continue; }
      const verdict = filter(schema, name);
      if (verdict === 'internal') continue;
      seen.set(id, { id, blocked: verdict === 'blocked', included: verdict === 'mirror' });
    }
  }
  return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id));
}
