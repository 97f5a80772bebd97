/**
 * When a comparison fails, the history of the keys that differ: every record of `<ctx>-cdc` for those
 * keys (partition:offset, Kafka timestamp, op, snapshot marker, binlog position), read raw from the topic.
 * A failure message that says where a row came from is what makes a rare failure explainable.
 */
import type { Row } from '../../../main/engine/schema/table-model.ts';
import { valueText } from '../../harness/source-db.ts';
import type { Tenant } from '../../harness/tenant.ts';
import { envelopeOf, keyOf, tableOf } from '../../harness/topic-reader.ts';

/** Keys present on one side only, or with different contents (at most `limit`). */
export function differingKeys(src: Row[], rep: Row[], pk: string[], text: (r: Row) => string, limit = 4): Row[] {
  const keyText = (r: Row): string => pk.map((k) => valueText(r[k] ?? null)).join('|');
  const a = new Map(src.map((r) => [keyText(r), r]));
  const b = new Map(rep.map((r) => [keyText(r), r]));
  const out: Row[] = [];
  for (const [k, r] of [...a, ...b]) {
    if (out.length >= limit) break;
    const x = a.get(k), y = b.get(k);
    if (!x || !y || text(x) !== text(y)) if (!out.some((o) => keyText(o) === k)) out.push(Object.fromEntries(pk.map((c) => [c, r[c] ?? null])));
  }
  return out;
}

export async function keyHistory(tenant: Tenant, table: string, keys: Row[]): Promise<string> {
  if (!keys.length) return '';
  const c = await tenant.collect();
  try {
    const all = await c.drain(tenant.kafka, 30_000);
    const want = new Set(keys.map((k) => JSON.stringify(Object.keys(k).sort().map((c2) => valueText(k[c2] ?? null)))));
    const lines: string[] = [];
    for (const m of all) {
      if (tableOf(m)?.toLowerCase() !== table.toLowerCase()) continue;
      const key = keyOf(m);
      if (!key) continue;
      const kt = JSON.stringify(Object.keys(key).sort().map((c2) => valueText(key[c2] as never ?? null)));
      if (!want.has(kt)) continue;
      const env = envelopeOf(m);
      const s = env?.source ?? {};
      lines.push(`    ${kt} ${m.partition}:${m.offset} ts=${m.timestamp} ${env ? `op=${env.op} snapshot=${String(s.snapshot ?? '-')} pos=${String(s.file ?? '')}:${String(s.pos ?? '')}` : 'tombstone'}`);
    }
    return lines.length ? `\n  records of ${table} for ${[...want].join(' ')}:\n${lines.join('\n')}` : `\n  no record of ${table} for ${[...want].join(' ')}`;
  } catch (err) {
    return `\n  (key history unavailable: ${(err as Error).message})`;
  } finally {
    await c.stop();
  }
}
