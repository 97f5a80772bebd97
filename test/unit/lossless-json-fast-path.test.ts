/**
 * parseEnvelopePayload's fast path for integers beyond 2^53 (a BIGINT column, ts_us / ts_ns): the values
 * are restored from their text instead of a second, reviver parse. The result must be exactly what the
 * reviver parse gives for every value the decoder reads — checked against an independent reviver here, on hand-made traps (digits inside
 * strings, fractions with long digit runs, exponents, two texts that round to the same double) and on
 * random envelopes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEnvelopePayload } from '../../main/engine/decode/json.ts';

/** The reference: every number whose source text is an integer and whose value is not safe becomes a bigint. */
const reference = (text: string): unknown => JSON.parse(text, (_k, v, ctx?: { source?: string }) =>
  (typeof v === 'number' && !Number.isSafeInteger(v) && ctx?.source !== undefined && /^-?\d+$/.test(ctx.source) ? BigInt(ctx.source) : v));

/** Envelope timestamps the decoder never reads (ts_us, ts_ns) may stay rounded numbers: compared without them. */
const read = (o: unknown): unknown => {
  const c = o as Record<string, unknown> & { source?: Record<string, unknown> };
  const { ts_us: _u, ts_ns: _n, ...rest } = c;
  if (c.source && typeof c.source === 'object') { const { ts_us: _su, ts_ns: _sn, ...src } = c.source; rest.source = src; }
  return rest;
};
const same = (text: string): void => assert.deepStrictEqual(read(parseEnvelopePayload(text)), read(reference(text)), text);

test('integers beyond 2^53 come back exact, wherever they are', () => {
  same('{"after":{"id":9007199254740993,"n":1},"source":{"ts_us":1795591885000000},"op":"c","ts_ns":1795591885991841952}');
  same('{"after":{"big":-9223372036854775808,"u":18446744073709551615},"op":"r"}');
  same('{"after":{"arr":[9007199254740993,1,[12345678901234567890]],"nested":{"x":{"y":-12345678901234567}}},"op":"u"}');
});

test('digits inside strings, fractions and exponents never change a value', () => {
  // The string holds the same digits as the value: a scan that read it would still agree, so vary it.
  same('{"after":{"name":":9007199254740995,","id":9007199254740993},"op":"c"}');
  same('{"after":{"name":"say \\"9007199254740995\\" \\\\","id":9007199254740993},"op":"c"}');
  same('{"after":{"f":0.12345678901234567890123,"id":12345678901234567890123},"op":"c"}');
  same('{"after":{"f":1.5E19,"g":12345678901234567.5,"h":1e300,"id":9007199254740993},"op":"c"}');
  same('{"after":{"f":1.0E19,"id":10000000000000000000},"op":"c"}');
});

test('a column named __proto__ keeps its exact value (an own property, not the prototype)', () => {
  const text = '{"after":{"__proto__":9007199254740993,"id":1},"op":"c"}';
  same(text);
  const after = (parseEnvelopePayload(text) as { after: Record<string, unknown> }).after;
  assert.ok(Object.hasOwn(after, '__proto__'));
  assert.equal(Object.getOwnPropertyDescriptor(after, '__proto__')?.value, 9007199254740993n);
});

test('two texts that round to one double: the value still gets its own text', () => {
  // 9007199254740993 and 9007199254740992 are the same double.
  same('{"after":{"a":9007199254740993,"b":9007199254740992},"op":"c"}');
  same('{"after":{"a":9007199254740993},"source":{"ts":9007199254740992},"op":"c"}');
  same('{"after":{"a":9007199254740993,"b":9007199254740993},"op":"c"}');
});

test('random envelopes decode as the reviver parse does', () => {
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const digits = (n: number): string => Array.from({ length: n }, (_, i) => String(i === 0 ? 1 + rnd(9) : rnd(10))).join('');
  const value = (): string => {
    switch (rnd(8)) {
      case 0: return (rnd(2) ? '-' : '') + digits(15 + rnd(6));
      case 1: return `"${rnd(2) ? digits(17) : 'x'}:${digits(16 + rnd(3))}"`;
      case 2: return `${digits(1 + rnd(18))}.${digits(1 + rnd(20))}`;
      case 3: return `${digits(1 + rnd(3))}E${rnd(30)}`;
      case 4: return `[${digits(16 + rnd(4))},${digits(3)}]`;
      case 5: return 'null';
      case 6: return String(rnd(1000));
      default: return `"9007199254740993"`;
    }
  };
  for (let i = 0; i < 2000; i++) {
    const cols = Array.from({ length: 1 + rnd(6) }, (_, j) => `"c${j}":${value()}`).join(',');
    same(`{"before":null,"after":{${cols}},"source":{"ts_us":${digits(16)},"ts_ns":${digits(19)}},"op":"c","ts_ns":${digits(19)}}`);
  }
});
