/**
 * The decode worker (a worker thread of the engine, decode-ahead.ts): decodes batches of `<ctx>-cdc`
 * messages with its own EnvelopeDecoder while the engine's thread writes the batch before them. It only
 * ever answers "decoded as X" for a message or nothing: a message it cannot decode, a tombstone or a
 * truncate is left to the engine's thread, which decodes it again as it always does.
 *
 * In:  {t:'hints', epoch, hints: [table, columns[]][]}  then  {t:'decode', id, epoch, buf, spans}
 *      (`buf` holds every key and value; `spans` = [keyStart, keyLen, valueStart, valueLen] per message, -1: null)
 * Out: {t:'decoded', id, epoch, defs: {hash: TableDef}, events: (WireEvent | null)[]}
 */
import { parentPort } from 'node:worker_threads';
import type { TableDef } from '../schema/table-model.ts';
import { EnvelopeDecoder } from './envelope.ts';
import type { ChangeEvent } from './envelope.ts';

export type WireEvent = Omit<ChangeEvent, 'def'>;
export type WorkerRequest =
  | { t: 'hints'; epoch: number; hints: Array<[string, string[]]> }
  | { t: 'decode'; id: number; epoch: number; buf: ArrayBuffer; spans: Int32Array };
export interface WorkerAnswer { t: 'decoded'; id: number; epoch: number; defs: Record<string, TableDef>; events: Array<WireEvent | null> }

const decoder = new EnvelopeDecoder();
let epoch = 0;

function decodeBatch(r: Extract<WorkerRequest, { t: 'decode' }>): WorkerAnswer {
  const all = Buffer.from(r.buf);
  const at = (start: number, len: number): Buffer | null => (start < 0 ? null : all.subarray(start, start + len));
  const events: Array<WireEvent | null> = [];
  const defs: Record<string, TableDef> = {};
  for (let i = 0; i < r.spans.length; i += 4) {
    const key = at(r.spans[i]!, r.spans[i + 1]!);
    const value = at(r.spans[i + 2]!, r.spans[i + 3]!);
    let out: WireEvent | null = null;
    if (key !== null && value !== null) {
      try {
        const d = decoder.decodeBuffers(key, value);
        if (d.kind === 'change') {
          const { def, ...rest } = d;
          defs[d.defHash] ??= def;
          out = rest;
        }
      } catch {
        // left to the engine's thread (a poison event is kept there, with the table filter of that moment)
      }
    }
    events.push(out);
  }
  return { t: 'decoded', id: r.id, epoch, defs, events };
}

parentPort?.on('message', (r: WorkerRequest) => {
  if (r.t === 'hints') {
    decoder.setUnsignedBigints(new Map(r.hints.map(([t, cols]) => [t, new Set(cols)])));
    epoch = r.epoch;
    return;
  }
  // Answered with the epoch of the hints it was decoded with: the engine drops it if its own moved on.
  parentPort!.postMessage(r.epoch === epoch ? decodeBatch(r) : { t: 'decoded', id: r.id, epoch: -1, defs: {}, events: [] });
});
