/**
 * kafkajs's errors reach the engine's log through createKafka's log creator (main/engine/source/kafka-client.ts):
 * a line such as "The coordinator is not aware of this member, re-joining the group" must say which reader
 * it is about (its consumer group: `…cdc…` or `…notifications…`), and pass nothing else of kafkajs's fields on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKafka } from '../../main/engine/source/kafka-client.ts';
import { createLogger } from '../../main/engine/log.ts';

describe('kafkajs log lines in the engine log', () => {
  it('name the consumer group of the reader they are about, and nothing else of kafkajs\'s fields', () => {
    const lines: string[] = [];
    const kafka = createKafka({ ctx: 't', brokers: ['127.0.0.1:1'], clientId: 'tenant-mirror' } as never, createLogger('debug', (l) => lines.push(l)));
    const groupId = 'tenant-mirror.r1.cdc.abc123';
    kafka.logger().namespace('Runner').error('The coordinator is not aware of this member, re-joining the group', { groupId, memberId: 'm-1', error: 'There is no such member', retryCount: 0 });
    kafka.logger().namespace('Connection').error('Response Heartbeat(key: 12, version: 3)', { broker: '127.0.0.1:1', clientId: 'tenant-mirror', error: 'x' });
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(lines[0]!, / WARN kafka: The coordinator is not aware of this member, re-joining the group \{"namespace":"Runner","groupId":"tenant-mirror\.r1\.cdc\.abc123"\}$/);
    assert.match(lines[1]!, / WARN kafka: Response Heartbeat\(key: 12, version: 3\) \{"namespace":"Connection"\}$/);
    assert.ok(!lines.some((l) => l.includes('m-1') || l.includes('127.0.0.1')), 'no other field of kafkajs passed on');
  });
});
