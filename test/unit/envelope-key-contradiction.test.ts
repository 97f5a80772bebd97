/**
 * An event whose key schema contradicts its row schema (key column missing from the row, or typed
 * differently) is refused with SCHEMA_CONFLICT — a poison event kept by the processor — instead of
 * being taken for a schema change that would rebuild the table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { EnvelopeDecoder } from '../../main/engine/decode/envelope.ts';
import { decodeText } from '../harness/decode-text.ts';
import { MirrorError } from '../../main/engine/errors.ts';

interface Field { type: string; field?: string; fields?: Field[]; parameters?: Record<string, string> }
const fx = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/mariadb/c-contact-defaults.json'), 'utf8')) as { key: string; value: string };

function mutate(fn: (row: Field[], after: Record<string, unknown>) => void): string {
  const v = JSON.parse(fx.value) as { schema: Field; payload: { after: Record<string, unknown> } };
  const row = v.schema.fields!.find((f) => f.field === 'after')!.fields!;
  fn(row, v.payload.after);
  return JSON.stringify(v);
}

it('the recorded event decodes', () => {
  const d = decodeText(new EnvelopeDecoder(), fx.key, fx.value);
  assert.equal(d.kind, 'change');
});

it('a key column typed differently in the row schema is SCHEMA_CONFLICT', () => {
  const value = mutate((row, after) => { const f = row.find((x) => x.field === 'contact_id')!; f.type = 'string'; delete f.parameters; after.contact_id = String(after.contact_id); });
  assert.throws(() => decodeText(new EnvelopeDecoder(), fx.key, value), (e: unknown) => e instanceof MirrorError && e.code === 'SCHEMA_CONFLICT' && /contact_id .* int in the key schema but string/.test(e.message));
});

it('a key column missing from the row schema is SCHEMA_CONFLICT', () => {
  const value = mutate((row, after) => { row.splice(row.findIndex((x) => x.field === 'contact_id'), 1); delete after.contact_id; });
  assert.throws(() => decodeText(new EnvelopeDecoder(), fx.key, value), (e: unknown) => e instanceof MirrorError && e.code === 'SCHEMA_CONFLICT' && /not in the event's row schema/.test(e.message));
});
