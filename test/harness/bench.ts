/**
 * `node test/harness/bench.ts [--rows 10000,100000] [--seed-only 1000000]`
 * Measures the stack: start time, JVM RSS, tenant creation (seed + initial snapshot until every
 * snapshot record is in `<ctx>-cdc`), incremental snapshot of one table, and bulk seed speed.
 * Always starts a private stack.
 */
import { parseArgs } from 'node:util';
import { startStack } from './stack.ts';
import { CrmDatabase } from './source-db.ts';
import { retainedRecords } from './tenant.ts';
import { randomCtx } from './util.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '10000,100000' }, 'seed-only': { type: 'string' } } });
const ms = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)} s`;

let t = Date.now();
const stack = await startStack();
console.log(`stack start: ${ms(t)}; RSS MB ${JSON.stringify(await stack.rss())}`);
try {
  for (const n of values.rows.split(',').filter(Boolean).map(Number)) {
    t = Date.now();
    const tenant = await stack.createTenant({ seedRows: n, waitForSnapshot: false, startConnector: false });
    const seeded = Date.now() - t;
    const t1 = Date.now();
    await tenant.connector.start();
    await tenant.waitForInitialSnapshot({ cdcHighBefore: 0n, timeoutMs: 1_800_000 });
    const snap = Date.now() - t1;
    const recs = await retainedRecords(stack.kafka, tenant.topics.cdc);
    console.log(`tenant ${n} rows: create+seed ${(seeded / 1000).toFixed(1)} s, initial snapshot ${(snap / 1000).toFixed(1)} s (${Math.round(Number(recs) / (snap / 1000))} rec/s, ${recs} records); RSS MB ${JSON.stringify(await stack.rss())}`);
    const persons = await tenant.source.count('person');
    const t2 = Date.now();
    const id = await tenant.signal.executeSnapshot(['person']);
    await tenant.waitForNotification((x) => x.id === id && x.type === 'COMPLETED', { timeoutMs: 1_800_000 });
    console.log(`  incremental snapshot of person (${persons} rows): ${ms(t2)}`);
    const t3 = Date.now();
    const w = await tenant.source.workload({ ops: 2000 });
    console.log(`  workload 2000 ops: ${ms(t3)} (${w.inserts} c / ${w.updates} u / ${w.deletes} d)`);
    await tenant.stop();
  }
  if (values['seed-only']) {
    const n = Number(values['seed-only']);
    const db = new CrmDatabase(stack.mariadb, `crm_${randomCtx()}`);
    await db.create();
    t = Date.now();
    const counts = await db.seed({ rows: n, binlog: false });
    console.log(`seed ${n} rows (binlog off): ${ms(t)} ${JSON.stringify(counts)}`);
    t = Date.now();
    const sums = await db.checksumAll();
    console.log(`checksumAll over ${Object.values(sums).reduce((s, c) => s + c.rows, 0)} rows: ${ms(t)}`);
    await db.drop();
    await db.close();
  }
} finally {
  t = Date.now();
  await stack.stop();
  console.log(`stack stop: ${ms(t)}`);
}
