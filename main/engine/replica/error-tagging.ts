/** Tagging a driver error with the table being written when it was thrown, so the classifier can halt just that table. */

/** Property set on a driver error thrown while a given table was being written. */
const TABLE_TAG = 'replicaTable';

/** Tags `err` (when it is an object) with the id of the table being written, and returns it. */
export function tagTable(err: unknown, id: string): unknown {
  if (err && typeof err === 'object' && !(TABLE_TAG in err)) {
    Object.defineProperty(err, TABLE_TAG, { value: id, enumerable: false, configurable: true });
  }
  return err;
}

/** The table id a driver error was tagged with (see tagTable), if any. */
export function taggedTable(err: unknown): string | undefined {
  if (err && typeof err === 'object' && TABLE_TAG in err) {
    const v = (err as Record<string, unknown>)[TABLE_TAG];
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}
