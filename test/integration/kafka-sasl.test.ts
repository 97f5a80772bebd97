/**
 * Kafka SASL/PLAIN against a real broker: a second, private KRaft broker with a SASL_PLAINTEXT
 * listener next to its PLAINTEXT one (the harness's `props`). The product's connection check passes
 * with the right password taken from an environment variable, fails cleanly with a wrong one, and the
 * password appears in no check message either way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testKafka } from '../../main/engine/checks.ts';
import { createTopics, startKafka, type KafkaBroker } from '../harness/kafka.ts';
import { freePort, randomCtx } from '../harness/util.ts';
import { tenantSchema } from '../../preload/contract/settings.ts';

const PASSWORD = 'SaslSentinel-c0ffee-91';

describe('Kafka SASL/PLAIN on a real broker', { timeout: 240_000 }, () => {
  let broker: KafkaBroker;
  let saslPort: number;
  before(async () => {
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    saslPort = await freePort();
    while (saslPort === port || saslPort === controllerPort) saslPort = await freePort();
    broker = await startKafka({
      port, controllerPort, heapMb: 256,
      props: {
        listeners: `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort}`,
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config':
          `org.apache.kafka.common.security.plain.PlainLoginModule required user_svc="${PASSWORD}";`,
      },
    });
  });
  after(async () => { await broker?.stop({ removeData: true }); });

  it('connects with the right password (from an env var), refuses a wrong one, never echoes either', async () => {
    const ctx = randomCtx();
    await createTopics(broker.kafka(), [`${ctx}-cdc`, `${ctx}-schemahistory`, `${ctx}-signal`].map((topic) => ({ topic, numPartitions: 1 })));
    process.env.TM_TEST_SASL = PASSWORD;
    try {
      const ok = await testKafka(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${saslPort}`], sasl: { mechanism: 'plain', username: 'svc', password: { env: 'TM_TEST_SASL' } } }));
      assert.ok(ok.ok, `SASL check passes: ${JSON.stringify(ok.items)}`);
      assert.ok(!JSON.stringify(ok).includes(PASSWORD));
      const bad = await testKafka(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${saslPort}`], sasl: { mechanism: 'plain', username: 'svc', password: `${PASSWORD}-wrong` } }));
      assert.equal(bad.ok, false, 'a wrong password fails the check');
      assert.ok(bad.items.some((i) => !i.ok && /auth|SASL/i.test(i.message)), `the failure says authentication: ${JSON.stringify(bad.items)}`);
      assert.ok(!JSON.stringify(bad).includes(PASSWORD), 'no password in the failure report');
    } finally { delete process.env.TM_TEST_SASL; }
  });
});
