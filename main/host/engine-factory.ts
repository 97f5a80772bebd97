/**
 * Loads the engine library. The specifier is kept in a variable until `main/engine/engine.ts` lands,
 * so this file type-checks before it exists; the shape below is the one the lead specified.
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

const ENGINE_MODULE = '../engine/engine.ts';

export async function loadCreateEngine(): Promise<CreateEngine> {
  const mod = (await import(ENGINE_MODULE)) as { createEngine?: CreateEngine };
  if (typeof mod.createEngine !== 'function') throw new Error('main/engine/engine.ts does not export createEngine');
  return mod.createEngine;
}
