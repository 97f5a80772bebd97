/**
 * Loads the engine library lazily (the child process pays the import, the shell never does). The
 * shape below is the one `main/engine/engine.ts` exports.
 */
import type { Settings } from '../../preload/contract/settings.ts';
import type { EngineControl } from '../engine/engine-control.ts';

export interface Engine extends EngineControl { start(): Promise<void> }
export interface EngineLogger {
  error(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  info(msg: string, meta?: object): void;
  debug(msg: string, meta?: object): void;
}
export type CreateEngine = (settings: Settings, opts?: { log?: EngineLogger }) => Promise<Engine>;

export async function loadCreateEngine(): Promise<CreateEngine> {
  // @ts-ignore -- a literal specifier so bundlers include it; ignored while engine.ts is not yet in the tree
  const mod = (await import('../engine/engine.ts')) as { createEngine?: CreateEngine };
  if (typeof mod.createEngine !== 'function') throw new Error('main/engine/engine.ts does not export createEngine');
  return mod.createEngine;
}
