/** Starts the engine child in an Electron utilityProcess (off the UI thread). */
import { utilityProcess } from 'electron';
import type { ChildHandle } from '../host/engine-proxy.ts';
import { ENGINE_NODE_FLAGS, engineProcessEnv } from '../host/engine-flags.ts';
import type { ToChild, ToParent } from '../host/protocol.ts';

export function forkUtilityEngine(entry: string): ChildHandle {
  const child = utilityProcess.fork(entry, [], { serviceName: 'Tenant Mirror engine', stdio: 'inherit', execArgv: [...ENGINE_NODE_FLAGS], env: engineProcessEnv(process.env) });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    kill: () => { child.kill(); },
    port: {
      post: (m: ToChild) => child.postMessage(m),
      onMessage: (l) => {
        const h = (m: unknown): void => l(m as ToParent);
        child.on('message', h);
        return () => { child.off('message', h); };
      },
    },
  };
}
