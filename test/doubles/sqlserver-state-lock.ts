/** The statement a state-table batch runs under its application lock (sqlserver/ddl.ts underStateLock). */
export function insideStateLock(batch: string): string {
  const m = /\nBEGIN TRY\n([\s\S]*)\nEND TRY\n/.exec(batch);
  if (!m) throw new Error(`not under the state table's lock: ${batch.slice(0, 200)}`);
  return m[1]!;
}
