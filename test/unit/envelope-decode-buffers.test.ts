/**
 * The engine's hot path decodes straight from Kafka buffers (decodeBuffers), recognising a schema by its
 * bytes; it must give exactly what parsing the whole record gives (the path a record that does not start
 * with `{"schema":` takes), for every recorded MariaDB fixture and for integers beyond 2^53.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import type { Decoded } from '../../main/engine/decode/envelope.ts';
import { sourcePosition } from '../../main/engine/schema/source-position.ts';

const dir = join(import.meta.dirname, '../fixtures/mariadb');
const fixtures = readdirSync(dir).filter((f) => /^(c|u|d|r|pk-change|tombstone)-/.test(f))
  .map((f) => ({ name: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as { key: string | null; value: string | null }) }));

const buf = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(s, 'utf8'));
/** The same record with a leading space: not recognised by its bytes, so parsed whole. */
const whole = (s: string | null): Buffer | null => (s === null ? null : Buffer.from(` ${s}`, 'utf8'));
const attempt = <T>(fn: () => T): { ok: T } | { err: string } => { try { return { ok: fn() }; } catch (e) { return { err: (e as Error).message }; } };
/** The source block as the engine reads it (its position): the two paths' JSON parsers type ts_ns apart (number, bigint). */
const sourceRead = (d: Decoded): unknown => (d.kind === 'change' ? { ...d, source: sourcePosition(d.source) } : d);

describe('EnvelopeDecoder.decodeBuffers', () => {
  it('equals the whole-record parse on every change-event fixture, twice (cold and cached schemas)', () => {
    assert.ok(fixtures.length > 10);
    const text = new EnvelopeDecoder();
    const bytes = new EnvelopeDecoder();
    let changes = 0;
    for (let round = 0; round < 2; round++) {
      for (const f of fixtures) {
        const got = attempt(() => bytes.decodeBuffers(buf(f.key), buf(f.value)));
        const read = (r: typeof got) => ('ok' in r ? { ok: sourceRead(r.ok) } : r);
        assert.deepEqual(read(got), read(attempt(() => text.decodeBuffers(whole(f.key), whole(f.value)))), `${f.name} round ${round}`);
        if ('ok' in got && got.ok.kind === 'change') changes++;
      }
    }
    assert.ok(changes > 20, `${changes} change events decoded (the rest may fail alike on both paths)`);
  });

  it('keeps integers beyond 2^53 in the row exact (BIGINT extremes)', () => {
    const f = fixtures.find((x) => x.name.startsWith('c-contact-edge-values'))!;
    const d = new EnvelopeDecoder().decodeBuffers(buf(f.key), buf(f.value));
    assert.equal(d.kind === 'change' ? d.after?.big_counter : null, 9223372036854775807n);
  });

  it('falls back to the text path for records that are not {"schema":…,"payload":…}', () => {
    const f = fixtures.find((x) => x.name.startsWith('u-contact'))!;
    const v = JSON.parse(f.value!) as { schema: unknown; payload: unknown };
    const reordered = JSON.stringify({ payload: v.payload, schema: v.schema });
    assert.deepEqual(attempt(() => new EnvelopeDecoder().decodeBuffers(buf(f.key), buf(reordered))), attempt(() => new EnvelopeDecoder().decodeBuffers(whole(f.key), whole(reordered))));
  });
});
