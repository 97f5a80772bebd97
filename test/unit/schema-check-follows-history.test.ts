/**
 * The status tick runs a schema check when the schema history holds records no check has taken. It used
 * to ask whether the history had grown since it was last *read*; an event's placement reads it too (for
 * its own table), so a change to a table with no event since (a column dropped) was never applied until
 * the hourly check (found by the piled-up schema changes scenario with the connector started after the
 * engine: person kept col_c).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Admin } from 'kafkajs';
import { historyReadAhead, historyUnchecked } from '../../main/engine/schema-sync.ts';
import { makeContext, Topic } from '../doubles/engine-context.ts';

it('history records not taken by a schema check are seen, whatever was read for placing events', async () => {
  const ctx = await makeContext(new Topic());
  let high = '5';
  let fails = false;
  ctx.admin = {
    fetchTopicOffsets: async (t: string) => {
      if (fails) throw new Error('broker gone');
      return [{ partition: 0, low: '0', high: t === ctx.topics.schemaHistory ? high : '0', offset: '0' }];
    },
  } as unknown as Admin;
  ctx.schemaLogHigh = 5n; // placement read the history to its end
  ctx.historyNext = '3'; // the last check took records 0-2
  assert.equal(await historyUnchecked(ctx), true, 'records 3 and 4 were read for placement only');
  ctx.historyNext = '5';
  assert.equal(await historyUnchecked(ctx), false);
  high = '6';
  assert.equal(await historyUnchecked(ctx), true);
  ctx.historyNext = null;
  assert.equal(await historyUnchecked(ctx), true, 'no check yet');
  high = '0';
  assert.equal(await historyUnchecked(ctx), false, 'an empty history');
  fails = true;
  high = '9';
  assert.equal(await historyUnchecked(ctx), false, 'unreadable: the next tick asks again');
});

it('a history read past the last check (a table seen first in the stream) is known without asking the broker', async () => {
  // The tick asks the broker every fifth tick (~10 s); when an event's placement has read the history past
  // the last check, the DROP of another table that the history holds before the new table's CREATE waits
  // for no such turn (scenario e: the renamed table was filled while text, dropped before it, still showed ok).
  const ctx = await makeContext(new Topic());
  ctx.admin = { fetchTopicOffsets: async () => { throw new Error('not asked'); } } as unknown as Admin;
  assert.equal(historyReadAhead(ctx), false, 'nothing read yet');
  ctx.schemaLog = new Map();
  ctx.schemaLogHigh = 7n;
  ctx.historyNext = '5';
  assert.equal(historyReadAhead(ctx), true, 'records 5 and 6 read for placement only');
  ctx.historyNext = '7';
  assert.equal(historyReadAhead(ctx), false, 'the check took them');
  ctx.historyNext = null;
  assert.equal(historyReadAhead(ctx), true, 'no check yet');
  ctx.schemaLogHigh = -1n;
  assert.equal(historyReadAhead(ctx), false, 'an empty history');
});
