/**
 * Preload (sandboxed, built as CJS): exposes `window.api` built from the contract, nothing else.
 * Never ipcRenderer itself, never a generic invoke(channel).
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildApi } from './bridge.ts';

contextBridge.exposeInMainWorld('api', buildApi(ipcRenderer));
