/**
 * Entry of the engine child process. Runs under Electron's utilityProcess (messages via
 * `process.parentPort`) or plain Node's `child_process.fork` (messages via `process.send`).
 * No electron import: `parentPort` is read off `process` at run time.
 */
import '../no-timeout-negative-warning.ts';
import process from 'node:process';
import { loadCreateEngine } from './engine-factory.ts';
import { serveEngine } from './engine-service.ts';
import type { Port, ToChild, ToParent } from './protocol.ts';

interface ParentPortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  off(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

function parentPort(): Port<ToChild, ToParent> {
  const pp = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (pp) {
    return {
      post: (m) => pp.postMessage(m),
      onMessage: (l) => {
        const h = (e: { data: unknown }): void => l(e.data as ToChild);
        pp.on('message', h);
        return () => pp.off('message', h);
      },
    };
  }
  if (process.send) {
    return {
      post: (m) => void process.send?.(m),
      onMessage: (l) => {
        const h = (m: unknown): void => l(m as ToChild);
        process.on('message', h);
        return () => process.off('message', h);
      },
    };
  }
  throw new Error('engine-child must be started by utilityProcess.fork or child_process.fork');
}

const port = parentPort();
// The parent going away (window closed for good, test ended) ends the child too.
process.on('disconnect', () => process.exit(0));
serveEngine(port, async (settings, opts) => (await loadCreateEngine())(settings, opts), {
  onStopped: () => setTimeout(() => process.exit(0), 50),
});
