/** A child-process entry serving a FakeEngine over process IPC: tests the fork transport and proxy. */
import process from 'node:process';
import { serveEngine } from '../../main/host/engine-service.ts';
import type { Engine } from '../../main/host/engine-factory.ts';
import type { ToChild } from '../../main/host/protocol.ts';
import { FakeEngine, table } from './fake-engine.ts';

serveEngine({
  post: (m) => void process.send?.(m),
  onMessage: (l) => { const h = (m: unknown): void => l(m as ToChild); process.on('message', h); return () => process.off('message', h); },
}, async (settings) => {
  if (settings.tenant.ctx === 'fail') throw new Error('refused by the fake');
  const e = new FakeEngine();
  e.current = { ...e.current, ctx: settings.tenant.ctx, tables: [table('crm.account')] };
  return e as unknown as Engine;
}, { onStopped: () => setTimeout(() => process.exit(0), 20), statusIntervalMs: 50 });
process.on('disconnect', () => process.exit(0));
