/** The engine library as the child process uses it (the shell never imports it). */
import { createEngine } from '../engine/engine.ts';
import type { Engine, EngineOptions } from '../engine/engine.ts';
import type { Settings } from '../../preload/contract/settings.ts';

export type { Engine };
export type EngineLogger = NonNullable<EngineOptions['log']>;
export type CreateEngine = (settings: Settings, opts?: { log?: EngineLogger; command?: string }) => Promise<Engine>;

export const loadCreateEngine = async (): Promise<CreateEngine> => createEngine;
