import { RawClient, randomHex } from '@nrelay/testkit';
import type { RelayUnderTest } from '../harness/types.js';
import { httpStatus } from '../harness/wait.js';

/** What a bystander saw while an attack ran: its REQ round trips and the relay's /healthz. */
export interface BystanderReport {
  /** REQ → EOSE round trips, in ms, in the order measured. */
  readonly latenciesMs: readonly number[];
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
  /** /healthz answers other than 200 (0 = no answer), with when they happened. */
  readonly healthFailures: readonly string[];
  /** REQs that failed outright (CLOSED, timeout, connection lost). */
  readonly failures: readonly string[];
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/**
 * An innocent client on its own connection that keeps sending a cheap REQ (and polls /healthz)
 * while an attack runs elsewhere, so a test can bound the latency the attack costs others.
 */
export class Bystander {
  private readonly latencies: number[] = [];
  private readonly healthFailures: string[] = [];
  private readonly failures: string[] = [];
  private stopped = false;
  private loop: Promise<void> = Promise.resolve();

  private constructor(
    private readonly relay: RelayUnderTest,
    private readonly client: RawClient,
    private readonly timeoutMs: number,
  ) {}

  /** Connects and starts measuring; each REQ waits at most `timeoutMs`. */
  static async start(relay: RelayUnderTest, timeoutMs = 30_000): Promise<Bystander> {
    const b = new Bystander(relay, await RawClient.open(relay.url), timeoutMs);
    b.loop = b.run();
    return b;
  }

  private async run(): Promise<void> {
    const started = Date.now();
    for (let i = 0; !this.stopped; i++) {
      const t0 = performance.now();
      try {
        const r = await this.client.query([{ ids: [randomHex()] }], { timeoutMs: this.timeoutMs });
        if (r.end === 'EOSE') this.latencies.push(performance.now() - t0);
        else this.failures.push(`CLOSED ${r.reason}`);
      } catch (err) {
        this.failures.push(String(err).slice(0, 300));
        if (this.client.closed) return;
      }
      if (i % 5 === 0) {
        const status = await httpStatus(`${this.relay.httpUrl}/healthz`, this.timeoutMs);
        if (status !== 200) this.healthFailures.push(`${status} at +${Date.now() - started} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops measuring, closes the connection and reports. */
  async stop(): Promise<BystanderReport> {
    this.stopped = true;
    await this.loop;
    this.client.close();
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      latenciesMs: this.latencies,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
      healthFailures: this.healthFailures,
      failures: this.failures,
    };
  }
}
