/** Starts the engine child under plain Node (`child_process.fork`): the serve command and tests. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildHandle } from './engine-proxy.ts';
import { ENGINE_NODE_FLAGS, engineProcessEnv } from './engine-flags.ts';
import type { ToChild, ToParent } from './protocol.ts';

export const ENGINE_CHILD_ENTRY = fileURLToPath(new URL('./engine-child.ts', import.meta.url));

export function forkEngineChild(opts: { entry?: string; env?: NodeJS.ProcessEnv } = {}): ChildHandle {
  const child = fork(opts.entry ?? ENGINE_CHILD_ENTRY, [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...ENGINE_NODE_FLAGS],
    env: engineProcessEnv(opts.env ?? process.env),
    serialization: 'advanced',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    kill: () => { child.kill(); },
    port: {
      post: (m: ToChild) => { if (child.connected) child.send(m); },
      onMessage: (l) => {
        const h = (m: unknown): void => l(m as ToParent);
        child.on('message', h);
        return () => child.off('message', h);
      },
    },
  };
}
