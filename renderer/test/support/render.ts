/** Mounts a Svelte component into the test page and unmounts it after each test. */
import { flushSync, mount, unmount } from 'svelte';
import type { Component } from 'svelte';
import { afterEach } from 'vitest';
import '../../src/app.css';

const mounted: Array<{ app: Record<string, unknown>; target: HTMLElement }> = [];

export function render<P extends Record<string, unknown>>(component: Component<P>, props: P): HTMLElement {
  const target = document.createElement('div');
  document.body.append(target);
  const app = mount(component, { target, props });
  flushSync();
  mounted.push({ app, target });
  return target;
}

afterEach(() => {
  for (const { app, target } of mounted.splice(0)) {
    void unmount(app);
    target.remove();
  }
});
