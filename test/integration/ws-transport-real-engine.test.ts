/**
 * The IPC contract over the serve command's WebSocket, against the real engine (forked child, real
 * Kafka from the harness, SQLite replica), spoken to by the renderer's own ws-client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startServe } from '../../main/commands/serve.ts';
import type { ServeHandle } from '../../main/commands/serve.ts';
import { parseServeArgs } from '../../main/commands/serve-args.ts';
import type { PushName, Pushes } from '../../preload/contract/api.ts';
import { createWsClient } from '../../renderer/src/lib/api/ws-client.ts';
import type { WsClient } from '../../renderer/src/lib/api/ws-client.ts';
import { createTopics, startKafka } from '../harness/kafka.ts';
import type { KafkaBroker } from '../harness/kafka.ts';
import { randomCtx, waitFor } from '../harness/util.ts';
import { Kafka, logLevel } from 'kafkajs';
import Database from 'better-sqlite3';

let broker: KafkaBroker | null = null;
let brokers: string[] = [];
let dir = '';
let serve: ServeHandle;
let ctx = '';
const clients: WsClient[] = [];

before(async () => {
  const shared = process.env['MIRROR_STACK'];
  if (shared) brokers = (JSON.parse(shared) as { brokers: string[] }).brokers;
  else { broker = await startKafka({ heapMb: 384 }); brokers = broker.brokers; }
  ctx = randomCtx();
  const kafka = new Kafka({ clientId: 'ws-test', brokers, logLevel: logLevel.NOTHING });
  await createTopics(kafka, ['cdc', 'schemahistory', 'signal', 'notifications'].map((t) => ({ topic: `${ctx}-${t}` })));
  dir = mkdtempSync(path.join(tmpdir(), 'tm-ws-'));
  mkdirSync(path.join(dir, 'ui'));
  writeFileSync(path.join(dir, 'ui', 'index.html'), '<!doctype html><title>Tenant Mirror</title>');
  const opts = parseServeArgs(['--config', path.join(dir, 'tenant-mirror.json'), '--static', path.join(dir, 'ui')], { staticDir: null });
  serve = await startServe(opts, { log: () => {} });
}, { timeout: 180_000 });

after(async () => {
  clients.forEach((c) => c.close());
  await serve?.close();
  await broker?.stop({ removeData: true } as never).catch(() => {});
  if (dir) rmSync(dir, { recursive: true, force: true });
}, { timeout: 60_000 });

function client(url = serve.server.socketUrl): WsClient {
  const c = createWsClient(url, { reconnect: false });
  clients.push(c);
  return c;
}

/** Opens a raw socket and reports how the server answered the upgrade. */
function rawOpen(url: string, headers?: Record<string, string>): Promise<'open' | 'refused'> {
  return new Promise((resolve) => {
    // Node's WebSocket takes no headers; use `ws` for the Origin case.
    if (headers) {
      void import('ws').then(({ WebSocket }) => {
        const ws = new WebSocket(url, { headers });
        ws.on('open', () => { ws.close(); resolve('open'); });
        ws.on('error', () => resolve('refused'));
      });
      return;
    }
    const ws = new WebSocket(url);
    ws.onopen = () => { ws.close(); resolve('open'); };
    ws.onerror = () => resolve('refused');
  });
}

test('no token, a wrong token or a foreign Origin: the socket is refused', async () => {
  const base = serve.server.socketUrl.replace(/\?.*$/, '');
  assert.equal(await rawOpen(base), 'refused');
  assert.equal(await rawOpen(`${base}?token=wrong-${'x'.repeat(30)}`), 'refused');
  assert.equal(await rawOpen(serve.server.socketUrl, { Origin: 'https://evil.example' }), 'refused');
  assert.equal(await rawOpen(serve.server.socketUrl, { Origin: new URL(serve.server.pageUrl).origin }), 'open');
  assert.equal(await rawOpen(serve.server.socketUrl), 'open');
  assert.match(serve.server.pageUrl, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32}/);
});

test('bad payloads and unknown requests come back as coded errors', async () => {
  const c = client();
  const bad = await c.request('tables:resync', { tables: [] });
  assert.equal(!bad.ok && bad.error.code, 'BAD_REQUEST');
  const unknown = await c.request('nope:never' as 'status:get', undefined);
  assert.equal(!unknown.ok && unknown.error.code, 'BAD_REQUEST');
  const noEngine = await c.request('status:get', undefined);
  assert.equal(!noEngine.ok && noEngine.error.code, 'ENGINE_STOPPED');
  const clearSecret = await c.request('settings:save', {
    tenant: { ctx, brokers, sasl: { username: 'u', password: 'not-on-disk-please' } }, replica: { kind: 'sqlite', file: path.join(dir, 'x.db') },
  });
  assert.equal(!clearSecret.ok && clearSecret.error.code, 'CONFIG_INVALID');

  const raw = await new Promise<unknown>((resolve) => {
    const ws = new WebSocket(serve.server.socketUrl);
    ws.onopen = () => ws.send('{not json');
    ws.onmessage = (e) => { resolve(JSON.parse(String(e.data))); ws.close(); };
  });
  assert.deepEqual((raw as { res: { error: { code: string } } }).res.error.code, 'BAD_REQUEST');
});

test('provision over the socket starts the real engine; its events and status are pushed', { timeout: 120_000 }, async () => {
  const c = client();
  const seen = new Map<PushName, unknown[]>();
  for (const name of ['status', 'state-changed', 'lag', 'progress'] as const) {
    c.on(name, (p: Pushes[typeof name]) => { (seen.get(name) ?? seen.set(name, []).get(name)!).push(p); });
  }
  const started = await c.request('provision:start', { tenant: { ctx, brokers }, replica: { kind: 'sqlite', file: path.join(dir, 'replica.db') } });
  assert.deepEqual(started, { ok: true, value: { started: true } });

  const status = await c.request('status:get', undefined);
  assert.equal(status.ok && status.value.ctx, ctx);
  await waitFor(() => (seen.get('status')?.length ?? 0) > 0 && (seen.get('lag')?.length ?? 0) > 0, { timeoutMs: 30_000, what: 'pushed status and lag' });

  const paused = await c.request('engine:pause', undefined);
  assert.equal(paused.ok && paused.value.state, 'paused');
  await waitFor(() => (seen.get('state-changed') as Array<{ state: string }> | undefined)?.some((e) => e.state === 'paused'), { timeoutMs: 10_000, what: 'state-changed paused push' });
  const resumed = await c.request('engine:resume', undefined);
  assert.equal(resumed.ok, true);

  const settings = await c.request('settings:get', undefined);
  assert.equal(settings.ok && settings.value?.tenant.ctx, ctx);
  const unknownTable = await c.request('tables:resync', { tables: ['crm.nope'] });
  assert.equal(unknownTable.ok, false);
  assert.ok(!unknownTable.ok && typeof unknownTable.error.code === 'string' && unknownTable.error.code !== 'INTERNAL', JSON.stringify(unknownTable));
});

test('offsets beyond the topic\'s end: the engine stops with OFFSET_AHEAD, said as the cause; offsets:reset over the socket restarts it with the offsets moved to the end', { timeout: 120_000 }, async () => {
  const c = client();
  const file = path.join(dir, 'replica.db');
  const topic = `${ctx}-cdc`;
  const offsets = (): Map<string, string> => {
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare(`SELECT "Id", "Value" FROM "_ReplicationState" WHERE "Kind" = 'offset'`).all() as Array<{ Id: string; Value: string }>;
      return new Map(rows.filter((r) => r.Id.startsWith(`offset:${topic}:`)).map((r) => [r.Id, String((JSON.parse(r.Value) as { next: unknown }).next)]));
    } finally { db.close(); }
  };
  // As a replica from another environment: partition 0's stored offset beyond the topic's end (plain SQL),
  // then the engine started again on the same settings.
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 20000');
    db.prepare(`INSERT OR REPLACE INTO "_ReplicationState" ("Id", "Kind", "Value", "UpdatedUtc") VALUES (?, 'offset', ?, ?)`)
      .run(`offset:${topic}:0`, JSON.stringify({ next: '1000', at: Date.now() }), new Date().toISOString());
  } finally { db.close(); }
  const saved = await c.request('settings:save', { tenant: { ctx, brokers }, replica: { kind: 'sqlite', file } });
  assert.equal(!saved.ok && saved.error.code, 'OFFSET_AHEAD', JSON.stringify(saved));
  const stopped = await c.request('status:get', undefined);
  assert.ok(!stopped.ok && stopped.error.code === 'ENGINE_STOPPED' && stopped.error.detail?.['cause'] === 'OFFSET_AHEAD', JSON.stringify(stopped));
  assert.match(stopped.error.message, /"Reset offsets" in the app/);
  assert.equal(offsets().get(`offset:${topic}:0`), '1000', 'nothing moved before the user asked');

  assert.deepEqual(await c.request('offsets:reset', undefined), { ok: true, value: { restarted: true } });
  const running = await c.request('status:get', undefined);
  assert.ok(running.ok && running.value.ctx === ctx, JSON.stringify(running));
  const kafka = new Kafka({ clientId: 'ws-test-offsets', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const stored = offsets();
    assert.equal(stored.size, ends.length, `one stored offset per partition: ${JSON.stringify([...stored])}`);
    for (const p of ends) assert.equal(stored.get(`offset:${topic}:${p.partition}`), p.high, `partition ${p.partition} reads on from the topic's end`);
  } finally { await admin.disconnect(); }
});

test('the built renderer is served with a CSP naming the socket; nothing outside it', async () => {
  const origin = new URL(serve.server.pageUrl).origin;
  const page = await fetch(`${origin}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Tenant Mirror/);
  assert.match(page.headers.get('content-security-policy') ?? '', new RegExp(`connect-src 'self' ${origin.replace('http', 'ws')}`));
  const escape = await fetch(`${origin}/..%2f..%2fpackage.json`);
  assert.ok([403, 404].includes(escape.status));
  assert.equal((await fetch(`${origin}/`, { method: 'POST' })).status, 405);
});
