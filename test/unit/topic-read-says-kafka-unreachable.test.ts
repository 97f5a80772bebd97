/**
 * A topic read to its end (the schema history at a schema check, the notifications) while the broker cannot
 * be reached is KAFKA_UNREACHABLE, retriable, naming the topic (read-topic.ts). Before 2026-12-06 evening the
 * bare KafkaJS error went up: `update-schema` handed to the running engine during a broker outage ended
 * with "error [INTERNAL]: Connection error: connect ECONNREFUSED" (the control-plane soak, seed 60613).
 * The broker here is a port nothing listens on (a real ECONNREFUSED through kafkajs).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import kafkajs, { Kafka, logLevel } from 'kafkajs';
import { MirrorError } from '../../main/engine/errors.ts';
import { isTransientKafkaError } from '../../main/engine/source/kafka-errors.ts';
import { readTopicToEnd } from '../../main/engine/source/read-topic.ts';

test('readTopicToEnd with the broker down: KAFKA_UNREACHABLE, retriable, naming the topic', { timeout: 30_000 }, async () => {
  const port = await new Promise<number>((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const p = (srv.address() as { port: number }).port; srv.close(() => resolve(p)); });
  });
  const kafka = new Kafka({ clientId: 't', brokers: [`127.0.0.1:${port}`], retry: { retries: 1, initialRetryTime: 50 }, logLevel: logLevel.NOTHING });
  await assert.rejects(readTopicToEnd(kafka, 'acme-schemahistory'), (err: unknown) => {
    assert.ok(err instanceof MirrorError, String(err));
    assert.equal(err.code, 'KAFKA_UNREACHABLE');
    assert.equal(err.retriable, true);
    assert.match(err.message, /^Kafka cannot be reached while reading acme-schemahistory: .*ECONNREFUSED/);
    assert.ok(isTransientKafkaError(err.cause), 'the cause is the KafkaJS error');
    return true;
  });
});

/** A KafkaJS error class as the driver calls it (its .d.ts leaves out most constructors' arguments). */
const real = (c: unknown) => c as new (e: unknown, opts?: Record<string, unknown>) => Error;
const { KafkaJSConnectionError, KafkaJSGroupCoordinatorNotFound, KafkaJSLockTimeout, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, KafkaJSRequestTimeoutError, KafkaJSSASLAuthenticationError } = kafkajs;

test('isTransientKafkaError: read from the KafkaJS errors\' classes, retriable marks, causes and socket codes, never their messages', () => {
  const refused = new (real(KafkaJSConnectionError))('Connection error: connect ECONNREFUSED 127.0.0.1:9', { broker: '127.0.0.1:9', code: 'ECONNREFUSED' });
  assert.equal(isTransientKafkaError(refused), true, 'a broker not there: KafkaJS retries it');
  assert.equal(isTransientKafkaError(new (real(KafkaJSNumberOfRetriesExceeded))(refused, { retryCount: 5, retryTime: 1000 })), true, 'the retry budget spent on a broker not there');
  assert.equal(isTransientKafkaError(new (real(KafkaJSNonRetriableError))(new (real(KafkaJSNumberOfRetriesExceeded))(refused, { retryCount: 5, retryTime: 1000 }), { cause: refused })), true, 'as an outer retrier wraps it');
  assert.equal(isTransientKafkaError(new (real(KafkaJSRequestTimeoutError))('Request Produce(key: 0, version: 7) timed out')), true);
  assert.equal(isTransientKafkaError(new (real(KafkaJSProtocolError))({ message: 'There is no leader for this topic-partition as we are in the middle of a leadership election', type: 'LEADER_NOT_AVAILABLE', code: 5, retriable: true })), true);
  assert.equal(isTransientKafkaError(new (real(KafkaJSLockTimeout))('Timeout while acquiring lock (1 waiting locks)')), true);
  assert.equal(isTransientKafkaError(new (real(KafkaJSGroupCoordinatorNotFound))('Failed to find group coordinator')), true);
  assert.equal(isTransientKafkaError(new (real(KafkaJSProtocolError))({ message: 'Not authorized to access topics: [Topic authorization failed]', type: 'TOPIC_AUTHORIZATION_FAILED', code: 29, retriable: false })), false);
  assert.equal(isTransientKafkaError(new (real(KafkaJSNonRetriableError))('Invalid topic x')), false);
  assert.equal(isTransientKafkaError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), false, 'not a KafkaJS error');
  // Only a person cures these: a start that fails with them is not tried again (sync, serve, the app) —
  // also where KafkaJS marks them retriable (a TLS failure is a KafkaJSConnectionError) or a message says "connect".
  assert.equal(isTransientKafkaError(new (real(KafkaJSSASLAuthenticationError))('SASL PLAIN authentication failed: Authentication failed: Invalid username or password')), false);
  for (const code of ['SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER']) {
    const tls = new (real(KafkaJSConnectionError))('Connection error: connect failed', { broker: '127.0.0.1:9', code });
    assert.equal(isTransientKafkaError(tls), false, code);
    assert.equal(isTransientKafkaError(new (real(KafkaJSNumberOfRetriesExceeded))(tls, { retryCount: 5, retryTime: 1000 })), false, `${code}, retried`);
  }
});
