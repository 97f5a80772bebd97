/**
 * Kafka SASL/PLAIN and TLS against a real broker: a second, private KRaft broker with SASL_PLAINTEXT and
 * SASL_SSL listeners next to its PLAINTEXT one (the harness's `props`; the TLS key pair is made with the
 * JDK's keytool). The product's connection check passes with the right password taken from an
 * environment variable, fails cleanly with a wrong one, and the password appears in no check message
 * either way; over TLS it passes when the broker's CA is given (`caFile`) and refuses an untrusted one.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testKafka } from '../../main/engine/checks.ts';
import { silentLogger } from '../../main/engine/log.ts';
import { createKafka } from '../../main/engine/source/kafka-client.ts';
import { isTransientKafkaError } from '../../main/engine/source/kafka-errors.ts';
import { createTopics, startKafka, type KafkaBroker } from '../harness/kafka.ts';
import { freePort, randomCtx } from '../harness/util.ts';
import { tenantSchema } from '../../preload/contract/settings.ts';

const PASSWORD = 'SaslSentinel-c0ffee-91';

describe('Kafka SASL/PLAIN and TLS on a real broker', { timeout: 240_000 }, () => {
  let broker: KafkaBroker;
  let saslPort: number;
  let sslPort: number;
  const certDir = mkdtempSync(join(tmpdir(), 'tm-kafka-tls-'));
  const keystore = join(certDir, 'broker.p12');
  const caFile = join(certDir, 'broker.pem');
  before(async () => {
    const kt = (args: string[]) => execFileSync('keytool', args, { stdio: 'pipe' });
    kt(['-genkeypair', '-alias', 'broker', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '2', '-dname', 'CN=localhost',
      '-ext', 'SAN=ip:127.0.0.1,dns:localhost', '-storetype', 'PKCS12', '-keystore', keystore, '-storepass', 'tmstorepass', '-keypass', 'tmstorepass']);
    kt(['-exportcert', '-rfc', '-alias', 'broker', '-keystore', keystore, '-storepass', 'tmstorepass', '-file', caFile]);
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    saslPort = await freePort();
    while (saslPort === port || saslPort === controllerPort) saslPort = await freePort();
    sslPort = await freePort();
    while ([port, controllerPort, saslPort].includes(sslPort)) sslPort = await freePort();
    broker = await startKafka({
      port, controllerPort, heapMb: 256,
      props: {
        listeners: `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort},SASL_SSL://127.0.0.1:${sslPort},CONTROLLER://127.0.0.1:${controllerPort}`,
        'advertised.listeners': `PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${saslPort},SASL_SSL://127.0.0.1:${sslPort}`,
        'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
        'sasl.enabled.mechanisms': 'PLAIN',
        'listener.name.sasl_plaintext.plain.sasl.jaas.config':
          `org.apache.kafka.common.security.plain.PlainLoginModule required user_svc="${PASSWORD}";`,
        'listener.name.sasl_ssl.plain.sasl.jaas.config':
          `org.apache.kafka.common.security.plain.PlainLoginModule required user_svc="${PASSWORD}";`,
        'ssl.keystore.type': 'PKCS12',
        'ssl.keystore.location': keystore,
        'ssl.keystore.password': 'tmstorepass',
        'ssl.key.password': 'tmstorepass',
      },
    });
  });
  after(async () => { await broker?.stop({ removeData: true }); rmSync(certDir, { recursive: true, force: true }); });

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

  it('SASL over TLS: passes with the broker CA given as caFile, refuses a broker it cannot verify', async () => {
    const ctx = randomCtx();
    await createTopics(broker.kafka(), [`${ctx}-cdc`, `${ctx}-schemahistory`, `${ctx}-signal`].map((topic) => ({ topic, numPartitions: 1 })));
    process.env.TM_TEST_SASL = PASSWORD;
    try {
      const sasl = { mechanism: 'plain' as const, username: 'svc', password: { env: 'TM_TEST_SASL' } };
      const ok = await testKafka(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${sslPort}`], ssl: true, caFile, sasl }));
      assert.ok(ok.ok, `SASL_SSL check passes with the CA: ${JSON.stringify(ok.items)}`);
      const untrusted = await testKafka(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${sslPort}`], ssl: true, sasl }));
      assert.equal(untrusted.ok, false, 'a self-signed broker certificate is not trusted without its CA');
      assert.ok(!JSON.stringify(untrusted).includes(PASSWORD), 'no password in the failure report');
    } finally { delete process.env.TM_TEST_SASL; }
  });

  it('the errors kafkajs gives for a wrong password and for an untrusted certificate are not transient: sync, serve and the app do not wait on them', async () => {
    const refused = async (tenant: Parameters<typeof createKafka>[0]): Promise<unknown> => {
      const admin = createKafka(tenant, silentLogger).admin();
      try { await admin.connect(); return null; } catch (err) { return err; } finally { await admin.disconnect().catch(() => undefined); }
    };
    const ctx = randomCtx();
    const wrong = await refused(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${saslPort}`], sasl: { mechanism: 'plain', username: 'svc', password: `${PASSWORD}-wrong` } }));
    assert.ok(wrong instanceof Error, 'a wrong password is refused');
    assert.equal(isTransientKafkaError(wrong), false, `${wrong.name}: ${wrong.message}`);
    const untrusted = await refused(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${sslPort}`], ssl: true, sasl: { mechanism: 'plain', username: 'svc', password: PASSWORD } }));
    assert.ok(untrusted instanceof Error, 'an untrusted certificate is refused');
    assert.equal(isTransientKafkaError(untrusted), false, `${untrusted.name}: ${untrusted.message}`);
    // …while a broker that is not there is (it may come up).
    const down = await refused(tenantSchema.parse({ ctx, brokers: [`127.0.0.1:${await freePort()}`] }));
    assert.ok(down instanceof Error);
    assert.equal(isTransientKafkaError(down), true, `${down.name}: ${down.message}`);
  });
});
