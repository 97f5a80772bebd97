/** Whether a replica's session fits the settings a process runs with: its tenant, and where its tables are. */
import type { Settings } from '../../../preload/contract/settings.ts';
import { MirrorError } from '../errors.ts';
import type { SessionRecord } from './records.ts';

/**
 * TENANT_MISMATCH for another tenant's replica; CONFIG_INVALID when the tablePrefix differs from the one
 * the replica was provisioned with: the engine would read on from the stored offsets and find none of
 * the tables it has registered where the config points (an empty replica said to be "ok"). A session
 * written before the prefix was recorded (2026-12-05) is not checked for it.
 */
export function assertSessionFits(session: Pick<SessionRecord, 'ctx' | 'tablePrefix'>, settings: { tenant: Pick<Settings['tenant'], 'ctx'>; tablePrefix: Settings['tablePrefix'] }): void {
  if (session.ctx !== settings.tenant.ctx) throw new MirrorError('TENANT_MISMATCH', `this replica belongs to tenant ${session.ctx}, not ${settings.tenant.ctx}`);
  if (session.tablePrefix !== undefined && session.tablePrefix !== settings.tablePrefix) {
    throw new MirrorError('CONFIG_INVALID',
      `this replica was provisioned with tablePrefix ${JSON.stringify(session.tablePrefix)} (its tables are there), but the config says ${JSON.stringify(settings.tablePrefix)}: ` +
      'set tablePrefix back, or provision a fresh replica database for the new prefix', { detail: { field: 'tablePrefix', provisioned: session.tablePrefix } });
  }
}
