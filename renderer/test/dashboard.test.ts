import { describe, expect, test } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import LagSparkline from '../src/components/LagSparkline.svelte';
import { EngineStore } from '../src/lib/stores/engine.svelte.ts';
import { sparklinePoints } from '../src/lib/sparkline.ts';
import Dashboard from '../src/views/Dashboard.svelte';
import { engineStatus, manyTables, tableStatus } from './support/dto.ts';
import { createTestApi, ok } from './support/fake-api.ts';
import { render } from './support/render.ts';
import { text } from './support/text.ts';

function dashboard(tables = manyTables(20)) {
  const api = createTestApi({
    'status:get': () => ok(engineStatus({ tables })),
    'tables:resync': (input) => ok({ requested: input.tables }),
    'engine:pause': () => ok(engineStatus({ tables, state: 'paused' })),
    'engine:resume': () => ok(engineStatus({ tables })),
  });
  const engine = new EngineStore(api);
  render(Dashboard, { engine });
  return { api, engine, ready: engine.load() };
}

describe('dashboard', () => {
  test('subscribes to each push once', async () => {
    const { api, ready } = dashboard();
    await ready;
    for (const name of ['status', 'progress', 'lag', 'state-changed', 'table-stale', 'table-recovered', 'error', 'activity'] as const) {
      expect(api.listenerCount(name), name).toBe(1);
    }
  });

  test('a table-stale push shows the banner; "Resync affected tables" resyncs them; recovery hides it', async () => {
    const { api, ready } = dashboard();
    await ready;
    await expect.element(page.getByTestId('stale-banner')).not.toBeInTheDocument();
    api.emit('table-stale', {
      table: 'crm.t004', reason: 'events purged before they were applied',
      gap: { topic: 'acme-cdc', partition: 0, fromOffset: '120', toOffset: '180', detectedAt: Date.now(), tables: ['crm.t004', 'crm.t005'], resolved: false },
    });
    const banner = page.getByTestId('stale-banner');
    await expect.element(banner).toBeVisible();
    await expect.element(banner).toMatchTextContent(text('2 tables are stale'));
    await expect.element(banner).toMatchTextContent(text('acme-cdc:0 offsets 120–180'));

    await userEvent.click(page.getByRole('button', { name: 'Resync affected tables' }));
    expect(api.calls.at(-1)).toEqual({ name: 'tables:resync', input: { tables: ['crm.t004', 'crm.t005'] } });

    api.emit('status', engineStatus({ tables: manyTables(20) }));
    await expect.element(page.getByTestId('stale-banner')).not.toBeInTheDocument();
  });

  test('resync selected sends the ticked tables; progress pushes update the row', async () => {
    const { api, ready } = dashboard();
    await ready;
    await userEvent.click(page.getByRole('checkbox', { name: 'Select crm.t001' }));
    await userEvent.click(page.getByRole('checkbox', { name: 'Select crm.t002' }));
    await userEvent.click(page.getByRole('button', { name: 'Resync selected (2)' }));
    expect(api.calls.at(-1)).toEqual({ name: 'tables:resync', input: { tables: ['crm.t001', 'crm.t002'] } });
    await expect.element(page.getByText('Resync requested for 2 tables.')).toBeVisible();
    const report = { kind: 'incremental' as const, outcome: 'repaired' as const, startedAt: Date.now(), finishedAt: Date.now(), rowsScanned: 3, rowsReported: null, rowsDeleted: 0, reason: null };
    api.emit('table-resynced', { table: 'crm.t001', report });
    await expect.element(page.getByText('Resync requested for 2 tables (1 done).')).toBeVisible();
    api.emit('table-resynced', { table: 'crm.t002', report });
    await expect.element(page.getByTestId('resync-notice')).not.toBeInTheDocument();

    api.emit('progress', { tables: [tableStatus('crm.t001', { state: 'resyncing', snapshot: { kind: 'incremental', rowsSeen: 40, rowsExpected: 80, percent: null, startedAt: 0 } })] });
    await expect.element(page.getByRole('progressbar', { name: 'Snapshot of crm.t001' })).toHaveAttribute('aria-valuenow', '50');
  });

  test('the engine stopped on offsets that do not fit the topic: the cause\'s fix is shown, and "Reset offsets…" then its confirmation restarts it with the reset', async () => {
    const tables = manyTables(3);
    let stopped = true;
    const api = createTestApi({
      'status:get': () => (stopped
        ? { ok: false, error: { code: 'ENGINE_STOPPED', message: 'the engine is not running: stored offset 900 of acme-cdc:0 is beyond its end (120)', retriable: true, detail: { cause: 'OFFSET_AHEAD' } } }
        : ok(engineStatus({ tables, state: 'streaming' }))),
      'offsets:reset': () => { stopped = false; return ok({ restarted: true as const }); },
    });
    const engine = new EngineStore(api);
    render(Dashboard, { engine });
    await engine.load();
    await expect.element(page.getByTestId('error-fix')).toMatchTextContent(text('Click "Reset offsets"'));
    await expect.element(page.getByTestId('reset-offsets')).toBeVisible();
    await userEvent.click(page.getByRole('button', { name: 'Reset offsets…' }));
    expect(api.calls.map((c) => c.name)).not.toContain('offsets:reset');
    await userEvent.click(page.getByRole('button', { name: 'Cancel' }));
    await userEvent.click(page.getByRole('button', { name: 'Reset offsets…' }));
    await userEvent.click(page.getByRole('button', { name: 'Reset offsets and resync every table' }));
    expect(api.calls.filter((c) => c.name === 'offsets:reset')).toHaveLength(1);
    await expect.element(page.getByText('Offsets reset to the end of the change topic: every table is being resynced from the source.')).toBeVisible();
    await expect.element(page.getByTestId('reset-offsets')).not.toBeInTheDocument();
    await expect.element(page.getByTestId('engine-state')).toMatchTextContent(text('streaming'));
  });

  test('no reset is offered for another reason the engine stopped; its own fix is shown', async () => {
    const api = createTestApi({
      'status:get': () => ({ ok: false, error: { code: 'ENGINE_STOPPED', message: 'the engine is not running: cannot reach Kafka', retriable: true, detail: { cause: 'KAFKA_UNREACHABLE' } } }),
    });
    const engine = new EngineStore(api);
    render(Dashboard, { engine });
    await engine.load();
    await expect.element(page.getByTestId('error-fix')).toMatchTextContent(text('Check the broker addresses'));
    await expect.element(page.getByTestId('reset-offsets')).not.toBeInTheDocument();
  });

  test('an action error shows code, message and fix; pause/resume toggles', async () => {
    const { api, ready } = dashboard();
    await ready;
    await userEvent.click(page.getByRole('button', { name: 'Update schema now' }));
    await expect.element(page.getByTestId('error-notice')).toMatchTextContent(text('no test handler for schema:update'));
    await userEvent.click(page.getByRole('button', { name: 'Pause' }));
    await expect.element(page.getByRole('button', { name: 'Resume' })).toBeVisible();
    await expect.element(page.getByTestId('engine-state')).toMatchTextContent(text('paused'));
    expect(api.calls.map((c) => c.name)).toContain('engine:pause');
  });

  test('the activity log is the engine host\'s: loaded on start (a reload keeps it), then grown by pushes', async () => {
    const entry = (id: number, text: string) => ({ id, at: Date.now(), level: 'info' as const, kind: 'resync-requested' as const, text, tables: [] });
    const api = createTestApi({
      'status:get': () => ok(engineStatus({ tables: manyTables(3) })),
      'activity:list': () => ok([entry(1, 'Resync requested for 1 table: crm.t001'), entry(2, 'Applied 3 events to crm.t001 in 2 ms')]),
    });
    const engine = new EngineStore(api);
    render(Dashboard, { engine });
    await engine.load();
    const log = page.getByTestId('activity-log');
    await expect.element(log).toMatchTextContent(text('Resync requested for 1 table: crm.t001'));
    api.emit('activity', entry(2, 'Applied 9 events to crm.t001 in 2 batches (4 ms)'));
    api.emit('activity', { ...entry(3, 'crm.t004 is stale: purged'), level: 'warn', kind: 'table-stale' });
    await expect.element(log).toMatchTextContent(text('crm.t004 is stale: purged'));
    await expect.element(log).toMatchTextContent(text('Applied 9 events'));
    expect(engine.activity.map((e) => e.id)).toEqual([1, 2, 3]);
  });

  test('snapshot progress: percentage, rows/s and ETA where a total is known; "unknown" where not, never 0 %', async () => {
    const { api, ready } = dashboard(manyTables(3));
    await ready;
    const est = tableStatus('crm.t001', { state: 'resyncing', snapshot: { kind: 'incremental', rowsSeen: 2500, rowsExpected: null, percent: 25, startedAt: 0, rowsPerSecond: 100, etaSeconds: 75, total: { rows: 10_000, basis: 'estimated' } } });
    const unknown = tableStatus('crm.t002', { state: 'snapshotting', snapshot: { kind: 'initial', rowsSeen: 40, rowsExpected: null, percent: null, startedAt: 0, rowsPerSecond: 20, etaSeconds: null, total: null } });
    api.emit('status', engineStatus({ tables: [tableStatus('crm.t000'), est, unknown], snapshot: { tables: 2, rowsSeen: 2540, rowsTotal: null, percent: null, rowsPerSecond: 120, etaSeconds: null } }));
    await expect.element(page.getByRole('progressbar', { name: 'Snapshot of crm.t001' })).toHaveAttribute('aria-valuenow', '25');
    await expect.element(page.getByRole('progressbar', { name: 'Snapshot of crm.t002' })).not.toHaveAttribute('aria-valuenow');
    await expect.element(page.getByTestId('overall-snapshot')).toMatchTextContent(text('unknown % · 2,540 (total unknown) rows copied · 120 rows/s'));
    await userEvent.click(page.getByText('crm.t001', { exact: true }));
    await expect.element(page.getByTestId('details-snapshot')).toMatchTextContent(text('2,500 of ~10,000 rows copied · 100 rows/s · ETA 75 s'));
    api.emit('status', engineStatus({ tables: [tableStatus('crm.t000')], state: 'paused', eventsPerSecond: 0 }));
    await expect.element(page.getByTestId('throughput')).toMatchTextContent(text('0.0 events/s'));
    await expect.element(page.getByTestId('overall-snapshot')).not.toBeInTheDocument();
  });

  test('table details show the last resync\'s report: scanned, swept, rows before → after', async () => {
    const { api, ready } = dashboard(manyTables(2));
    await ready;
    const lastResync = { kind: 'incremental' as const, outcome: 'repaired' as const, startedAt: Date.now() - 4000, finishedAt: Date.now() - 1000, rowsScanned: 1200, rowsReported: 1200, rowsDeleted: 7, rowsBefore: 1207, rowsAfter: 1200, reason: null };
    api.emit('status', engineStatus({ tables: [tableStatus('crm.t000', { lastResync }), tableStatus('crm.t001')] }));
    await userEvent.click(page.getByText('crm.t000', { exact: true }));
    await expect.element(page.getByTestId('details-last-resync')).toMatchTextContent(/1,200 snapshot rows applied \(source reported 1,200\), 7 deleted by the sweep; rows 1,207 → 1,200/);
  });

  test('a status snapshot older than the last progress push does not take a table\'s progress back', async () => {
    const { api, ready } = dashboard(manyTables(3));
    await ready;
    const resync = (rowsSeen: number, percent: number) => tableStatus('crm.t001', { state: 'resyncing', snapshot: { kind: 'incremental', rowsSeen, rowsExpected: null, percent, startedAt: 1, total: { rows: 100, basis: 'estimated' } } });
    const now = Date.now();
    api.emit('progress', { tables: [resync(40, 40)], at: now });
    const bar = page.getByRole('progressbar', { name: 'Snapshot of crm.t001' });
    await expect.element(bar).toHaveAttribute('aria-valuenow', '40');
    api.emit('status', engineStatus({ tables: [tableStatus('crm.t000'), resync(30, 30), tableStatus('crm.t002')], updatedAt: now - 500 }));
    await expect.element(page.getByText('crm.t000')).toBeVisible();
    await expect.element(bar).toHaveAttribute('aria-valuenow', '40');
    api.emit('status', engineStatus({ tables: [tableStatus('crm.t000'), resync(55, 55), tableStatus('crm.t002')], updatedAt: now + 500 }));
    await expect.element(bar).toHaveAttribute('aria-valuenow', '55');
  });

  test('lag pushes feed the sparkline: its points are the pure function of the series', async () => {
    const { api, ready } = dashboard();
    await ready;
    const series = [0.5, 2, 1, 4, 3];
    for (const s of series) api.emit('lag', { seconds: s, events: 10, at: Date.now() });
    const line = page.getByTestId('sparkline');
    await expect.element(line).toHaveAttribute('points', sparklinePoints(series, { width: 180, height: 36, pad: 2 }));
    await expect.element(page.getByTestId('lag')).toMatchTextContent(text('3.0 s · 10 events'));
  });

  test('sparkline component: the polyline spans the box, highest sample at the top', async () => {
    render(LagSparkline, { values: [0, 10, 5], width: 100, height: 20 });
    const line = document.querySelector('polyline')!;
    expect(line.getAttribute('points')).toBe('2,18 50,2 98,10');
    await expect.element(page.getByRole('img')).toHaveAccessibleName(/now 5\.0 s, peak 10 s/);
  });
});
