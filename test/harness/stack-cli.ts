/**
 * `npm run stack [-- --rows N] [--no-tenant] [--json FILE]`
 * Starts the stack and one demo tenant with seed data, prints connection details (and the
 * MIRROR_STACK JSON other processes can attach with), stays up until Ctrl+C, then stops cleanly.
 */
import '../../main/no-timeout-negative-warning.ts';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startStack, describeStack, MIRROR_STACK_ENV } from './stack.ts';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    'no-tenant': { type: 'boolean', default: false },
    json: { type: 'string' },
    ctx: { type: 'string' },
  },
});

const t0 = Date.now();
const stack = await startStack();
const startedMs = Date.now() - t0;
let stopping = false;
const shutdown = async (sig: string, code = 0): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${sig}: stopping stack…`);
  await stack.stop();
  console.log('stopped');
  process.exit(code);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

try {
  console.log(`stack started in ${startedMs} ms`);
  const d = stack.describe();
  console.log(`  Kafka brokers : ${d.brokers.join(',')}`);
  console.log(`  Connect REST  : ${d.connectUrl}`);
  console.log(`  MariaDB       : 127.0.0.1:${d.mariadb.port}  socket ${d.mariadb.socket}`);
  console.log(`                  root / ${d.mariadb.password}   connector user ${d.mariadb.dbzUser} / ${d.mariadb.dbzPassword}`);
  console.log(`                  mariadb -S ${d.mariadb.socket} -uroot -p${d.mariadb.password}`);
  console.log(`  PostgreSQL    : ${d.postgres.user}@${d.postgres.host}:${d.postgres.port}`);
  if (d.owner?.dirs) console.log(`  dirs          : ${JSON.stringify(d.owner.dirs)}`);
  if (!values['no-tenant']) {
    const t1 = Date.now();
    const rows = Number(values.rows);
    const tenant = await stack.createTenant({ seedRows: rows, ...(values.ctx ? { ctx: values.ctx } : {}) });
    console.log(`demo tenant ${tenant.ctx}: ${rows} seed rows, snapshot done in ${Date.now() - t1} ms`);
    console.log(`  database      : ${tenant.database}`);
    console.log(`  topics        : ${Object.values(tenant.topics).join(', ')}`);
    console.log(`  connector     : ${tenant.connector.name}  (${d.connectUrl}/connectors/${tenant.connector.name}/status)`);
  }
  const json = describeStack(stack);
  if (values.json) writeFileSync(values.json, json);
  console.log(`\nexport ${MIRROR_STACK_ENV}='${json}'`);
  console.log('\nup; Ctrl+C to stop');
} catch (e) {
  console.error(e);
  await shutdown('error', 1);
}
// keep the process alive
setInterval(() => {}, 1 << 30);
