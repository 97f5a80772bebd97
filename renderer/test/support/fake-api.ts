/**
 * A test `Api`: answers requests from handlers built in the test (constructed DTOs) and lets the
 * test push events, exactly as the IPC bridge or the WebSocket client would deliver them.
 */
import type { Api, PushName, Pushes, RequestInput, RequestName, Responses, Result } from '../../../preload/contract/api.ts';

export type Handlers = { [K in RequestName]?: (input: RequestInput<K>) => Result<Responses[K]> | Promise<Result<Responses[K]>> };

export interface TestApi extends Api {
  calls: Array<{ name: RequestName; input: unknown }>;
  emit<K extends PushName>(name: K, payload: Pushes[K]): void;
  listenerCount(name: PushName): number;
}

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export function createTestApi(handlers: Handlers = {}): TestApi {
  const listeners = new Map<PushName, Set<(p: unknown) => void>>();
  const calls: TestApi['calls'] = [];
  return {
    calls,
    async request<K extends RequestName>(name: K, input: RequestInput<K>): Promise<Result<Responses[K]>> {
      calls.push({ name, input });
      const h = handlers[name] as ((i: RequestInput<K>) => Result<Responses[K]> | Promise<Result<Responses[K]>>) | undefined;
      if (!h) return { ok: false, error: { code: 'INTERNAL', message: `no test handler for ${name}`, retriable: false } };
      return h(input);
    },
    on<K extends PushName>(name: K, listener: (payload: Pushes[K]) => void): () => void {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      set.add(listener as (p: unknown) => void);
      return () => { set.delete(listener as (p: unknown) => void); };
    },
    emit(name, payload) {
      for (const l of listeners.get(name) ?? []) l(payload);
    },
    listenerCount: (name) => listeners.get(name)?.size ?? 0,
  };
}
