/**
 * The engine's one control loop: every change to the replica and to the table registry (applying a
 * batch, snapshot and resync bookkeeping, sweeps, DDL, gaps, requests) runs as a task of this queue, one
 * at a time, in the order enqueued. Kafka consumers, timers and front ends only enqueue. A task must not
 * enqueue another task and wait for it (it would wait for itself): inside a task, call functions directly.
 */
export class ControlLoop {
  private tail: Promise<unknown> = Promise.resolve();
  private running: string | null = null;
  private queued = 0;

  /** Runs `fn` after every task enqueued before it; its result or error is the task's. */
  run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.queued++;
    const task = async (): Promise<T> => {
      this.queued--;
      this.running = what;
      try { return await fn(); } finally { this.running = null; }
    };
    const p = this.tail.then(task, task);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** What runs now and how many tasks wait (diagnostics). */
  describe(): { running: string | null; queued: number } { return { running: this.running, queued: this.queued }; }
}
