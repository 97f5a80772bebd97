/**
 * A provisioned, started engine on a fresh replica target for a tenant: the set-up the single-scenario
 * integration files share (the scenario suites have their own, with more options). Cleanup is pushed on
 * `open` (target, then engine: run in reverse).
 */
import { createEngine, type Engine } from '../../../main/engine/engine.ts';
import type { Logger } from '../../../main/engine/log.ts';
import { settingsSchema, type Settings } from '../../../preload/contract/settings.ts';
import type { Stack } from '../../harness/stack.ts';
import type { Tenant } from '../../harness/tenant.ts';
import type { ReplicaTarget, TargetFactory } from './replica-targets.ts';

export async function engineOnTarget(stack: Stack, tenant: Tenant, makeTarget: TargetFactory, name: string, log: Logger, open: Array<() => Promise<void>>): Promise<{ target: ReplicaTarget; settings: Settings; engine: Engine }> {
  const target = await makeTarget(stack, `${name}-${tenant.ctx}`);
  open.push(() => target.cleanup());
  const settings = settingsSchema.parse({
    tenant: { ctx: tenant.ctx, brokers: stack.brokers }, replica: target.replica,
    maxPollTimeSeconds: 0.2, snapshotFenceDelayMs: 500, retryInitialMs: 200, retryMaxMs: 2000,
  });
  const engine = await createEngine(settings, { log });
  open.push(() => engine.stop());
  await engine.provision();
  await engine.start();
  return { target, settings, engine };
}
