/**
 * The table of a change event read from its key's schema name (`<prefix>.<db>[.<schema>].<table>.Key`)
 * without decoding the value: events of excluded or blocked tables are dropped before decoding, so a
 * malformed event of a table we do not mirror cannot halt anything. Only plain names are trusted (Debezium
 * may adjust others), so an unusual name is always decoded and filtered the normal way.
 */
const NAME = /"name"\s*:\s*"([^"]*)\.Key"/;
const PLAIN = /^[A-Za-z0-9_]+$/;

export function tableFromKey(key: Buffer | null): { schema: string; name: string } | null {
  if (!key || key.length < 20) return null;
  const head = key.toString('utf8', 0, Math.min(key.length, 2048));
  const m = NAME.exec(head);
  if (!m) return null;
  const parts = m[1]!.split('.');
  if (parts.length < 3) return null;
  const name = parts[parts.length - 1]!;
  const schema = parts[parts.length - 2]!;
  return PLAIN.test(name) && PLAIN.test(schema) ? { schema, name } : null;
}
