import { mock } from 'node:test';
import type { FanoutContinuity } from '@nrelay/seams/fanout';

/** The watchdog settings of these tests (ms). */
export const HEARTBEAT = 1000;
export const TIMEOUT = 3000;
export const GRACE = 5000;

/** A fanout bus whose fences are settled by the test, one by one, oldest first. */
export class FakeFence {
  readonly fences: Array<{ resolve(): void; reject(err: Error): void }> = [];
  watcher: ((state: FanoutContinuity) => void) | undefined;
  /** When set, `fence()` rejects at once (like an unsubscribed Redis subscriber). */
  refuse: Error | undefined;

  fence(): Promise<void> {
    if (this.refuse) return Promise.reject(this.refuse);
    return new Promise((resolve, reject) => this.fences.push({ resolve, reject }));
  }
  watchContinuity(listener: (state: FanoutContinuity) => void): () => void {
    this.watcher = listener;
    return () => {
      this.watcher = undefined;
    };
  }
  /** Answers every fence sent so far (PINGs are answered in order). */
  answerAll(): void {
    for (const f of this.fences.splice(0)) f.resolve();
  }
}

export const quiet = { info() {}, warn() {}, error() {} };

/** Lets the fences' promise callbacks run. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Advances the mocked clock by whole heartbeats, letting promise callbacks run between them. */
export async function beats(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    mock.timers.tick(HEARTBEAT);
    await settle();
  }
}
