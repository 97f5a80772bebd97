/**
 * Folder main/engine/state/: what `_ReplicationState` holds: records, requests, the writer lease.
 *
 * JSON for `_ReplicationState` values: bigint and Buffer survive a round trip.
 */
export function toStateJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return { $bigint: x.toString() };
    if (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      return { $b64: Buffer.from((x as { data: number[] }).data).toString('base64') };
    }
    return x;
  });
}

export function fromStateJson<T>(text: string): T {
  return JSON.parse(text, (_k, x: unknown) => {
    if (x && typeof x === 'object') {
      const o = x as { $bigint?: string; $b64?: string };
      if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
      if (typeof o.$b64 === 'string' && Object.keys(o).length === 1) return Buffer.from(o.$b64, 'base64');
    }
    return x;
  }) as T;
}
