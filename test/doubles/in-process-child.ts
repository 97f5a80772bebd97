/** An engine "child" in this process: the real engine service and ports with structured cloning, like a MessagePort. */
import type { ChildHandle } from '../../main/host/engine-proxy.ts';
import { serveEngine } from '../../main/host/engine-service.ts';
import type { Engine } from '../../main/host/engine-factory.ts';
import type { Port, ToChild, ToParent } from '../../main/host/protocol.ts';
import type { FakeEngine } from './fake-engine.ts';

export function inProcessChild(fake: FakeEngine): ChildHandle {
  const toChild = new Set<(m: ToChild) => void>();
  const toParent = new Set<(m: ToParent) => void>();
  let exit!: (c: number) => void;
  const exited = new Promise<number | null>((r) => { exit = r; });
  const parent: Port<ToParent, ToChild> = { post: (m) => queueMicrotask(() => toChild.forEach((l) => l(structuredClone(m)))), onMessage: (l) => { toParent.add(l); return () => toParent.delete(l); } };
  const child: Port<ToChild, ToParent> = { post: (m) => queueMicrotask(() => toParent.forEach((l) => l(structuredClone(m)))), onMessage: (l) => { toChild.add(l); return () => toChild.delete(l); } };
  serveEngine(child, async () => fake as unknown as Engine, { statusIntervalMs: 50, onStopped: () => exit(0) });
  return { port: parent, exited, kill: () => exit(1) };
}
