/** Offsets of `<ctx>-cdc` as the bench uses them: per-partition maps and record counts between two positions. */
import type { PartitionOffsets } from '../harness/kafka.ts';
import type { Tenant } from '../harness/tenant.ts';
import { sleep } from '../harness/util.ts';

export function highs(offsets: PartitionOffsets[], which: 'high' | 'low' = 'high'): Map<number, bigint> {
  return new Map(offsets.map((o) => [o.partition, BigInt(o[which])]));
}

export function recordsBetween(from: Map<number, bigint>, to: Map<number, bigint>): number {
  let n = 0n;
  for (const [p, t] of to) n += t - (from.get(p) ?? 0n);
  return Number(n);
}

/** High watermarks once Debezium has stopped writing (unchanged for `quietMs`). */
export async function stableHighs(tenant: Tenant, quietMs = 3000): Promise<Map<number, bigint>> {
  let last = '';
  let since = Date.now();
  for (;;) {
    const h = highs(await tenant.offsets());
    const key = [...h].map(([p, o]) => `${p}:${o}`).join(',');
    if (key !== last) { last = key; since = Date.now(); } else if (Date.now() - since >= quietMs) return h;
    await sleep(250);
  }
}
