/**
 * The activity log over `serve`'s WebSocket transport: engine events (from the engine child, here an
 * in-process FakeEngine behind the real engine service and proxy) become entries pushed as `activity`
 * and answered by `activity:list`; a second `serve` on the same config (a restart, or a browser reload)
 * lists them again from the rotating file next to the config; the support bundle carries them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ActivityEntry } from '../../preload/contract/activity.ts';
import type { WsServerFrame } from '../../preload/contract/ws-frames.ts';
import { activityLogPath, startServe } from '../../main/commands/serve.ts';
import { FakeEngine, table } from '../doubles/fake-engine.ts';
import { inProcessChild } from '../doubles/in-process-child.ts';

async function connect(socketUrl: string) {
  const ws = new WebSocket(socketUrl);
  const pushes: ActivityEntry[] = [];
  const waiting = new Map<number, (v: unknown) => void>();
  ws.addEventListener('message', (e) => {
    const f = JSON.parse(String(e.data)) as WsServerFrame;
    if ('ev' in f) { if (f.ev === 'activity') pushes.push(f.payload as ActivityEntry); } else waiting.get(f.id)?.(f.res);
  });
  await new Promise((resolve, reject) => { ws.addEventListener('open', resolve); ws.addEventListener('error', reject); });
  let id = 1;
  const request = <T>(ch: string): Promise<{ ok: true; value: T }> => new Promise((resolve) => {
    const n = id++;
    waiting.set(n, resolve as (v: unknown) => void);
    ws.send(JSON.stringify({ id: n, ch }));
  });
  return { ws, pushes, request };
}

const until = async (check: () => boolean, what: string): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), what);
};

test('activity entries are pushed and listed over the WebSocket, survive a restart, and go into the support bundle', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-serve-activity-'));
  try {
    const config = path.join(dir, 'serve.json');
    writeFileSync(config, JSON.stringify({ tenant: { ctx: 'acme', brokers: ['127.0.0.1:1'] }, replica: { kind: 'sqlite', file: path.join(dir, 'r.sqlite') } }));
    const fake = new FakeEngine();
    fake.current = { ...fake.current, tables: [table('crm.contact')] };
    const opts = { host: '127.0.0.1', port: 0, token: 'a-long-enough-token-for-the-test-1234', tokenGenerated: false, staticDir: null, config } as never;
    const checks = { testKafka: async () => ({ ok: true, items: [] }), testReplica: async () => ({ ok: true, items: [] }), listTables: async () => [] };
    const first = await startServe(opts, { spawn: () => inProcessChild(fake), checks, log: () => {} });
    assert.equal(first.startError, null);
    const c = await connect(first.server.socketUrl);
    fake.emit('resync-requested', { tables: ['crm.contact'], reason: null });
    fake.emit('table-resynced', { table: 'crm.contact', report: { kind: 'incremental', outcome: 'repaired', startedAt: 0, finishedAt: 2000, rowsScanned: 12, rowsReported: 12, rowsDeleted: 1, reason: null } });
    await until(() => c.pushes.length >= 2, 'two activity pushes');
    assert.deepEqual(c.pushes.map((e) => e.kind), ['resync-requested', 'resync-completed']);
    const listed = await c.request<ActivityEntry[]>('activity:list');
    assert.deepEqual(listed.value.map((e) => e.text), c.pushes.map((e) => e.text));
    const bundle = await c.request<{ json: string }>('support:bundle');
    const body = JSON.parse(bundle.value.json) as { activity: ActivityEntry[]; activityLogFile: string };
    assert.deepEqual(body.activity.map((e) => e.kind), ['resync-requested', 'resync-completed', 'export']);
    assert.equal(body.activityLogFile, activityLogPath(config));
    assert.ok(existsSync(path.join(dir, 'serve-activity.log')));
    c.ws.close();
    await first.close();

    const second = await startServe(opts, { spawn: () => inProcessChild(new FakeEngine()), checks, log: () => {} });
    const d = await connect(second.server.socketUrl);
    const again = await d.request<ActivityEntry[]>('activity:list');
    assert.deepEqual(again.value.map((e) => e.kind), ['resync-requested', 'resync-completed', 'export']);
    d.ws.close();
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
