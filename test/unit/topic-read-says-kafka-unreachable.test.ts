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
import { Kafka, logLevel } from 'kafkajs';
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

test('isTransientKafkaError: KafkaJS connection and timeout errors, not credentials or TLS refused, not others', () => {
  assert.equal(isTransientKafkaError(Object.assign(new Error('Connection error: connect ECONNREFUSED'), { name: 'KafkaJSNumberOfRetriesExceeded', retriable: false })), true);
  assert.equal(isTransientKafkaError(Object.assign(new Error('Request timed out'), { name: 'KafkaJSRequestTimeoutError', retriable: true })), true);
  assert.equal(isTransientKafkaError(Object.assign(new Error('Not authorized to access topics'), { name: 'KafkaJSProtocolError', retriable: false })), false);
  assert.equal(isTransientKafkaError(new Error('connect ECONNREFUSED')), false, 'not a KafkaJS error');
  // Only a person cures these: a start that fails with them is not tried again (sync, serve, the app).
  assert.equal(isTransientKafkaError(Object.assign(new Error('SASL PLAIN authentication failed: Authentication failed: Invalid username or password'), { name: 'KafkaJSSASLAuthenticationError', retriable: false })), false);
  assert.equal(isTransientKafkaError(Object.assign(new Error('Connection error: self-signed certificate in certificate chain'), { name: 'KafkaJSConnectionError', retriable: true })), false);
});
