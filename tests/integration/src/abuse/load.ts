import { readFileSync } from 'node:fs';
import { RawClient } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { WebSocket } from 'ws';
import type { ClusterRelay } from '../harness/cluster.js';
import type { RelayUnderTest } from '../harness/types.js';

/**
 * Stores `events` fast: spread over `connections` connections, each sending all of its share
 * before awaiting the OKs. Fails unless every event is answered OK true.
 */
export async function publishAll(url: string, events: readonly NostrEvent[], connections = 4): Promise<void> {
  const shares = Array.from({ length: connections }, (_, k) =>
    events.filter((_, i) => i % connections === k),
  );
  await Promise.all(
    shares.map(async (share) => {
      const c = await RawClient.open(url);
      try {
        const from = c.mark();
        for (const e of share) void c.send(JSON.stringify(['EVENT', e]));
        const ids = new Set(share.map((e) => e.id));
        const refused: string[] = [];
        let answered = 0;
        await c.waitFor(
          (m, raw) => {
            if (m[0] !== 'OK' || !ids.has(m[1] as string)) return false;
            if (m[2] !== true) refused.push(raw);
            answered++;
            return answered === ids.size;
          },
          { from, timeoutMs: 120_000, what: `${ids.size} OKs` },
        );
        if (refused.length > 0)
          throw new Error(`${refused.length} events refused: ${refused.slice(0, 3).join(' ')}`);
      } finally {
        c.close();
      }
    }),
  );
}

/**
 * A client that sends and never reads: its socket is paused from the start, so the relay's
 * writes to it stop at the kernel buffers. `resume()` reads again (to see how it was closed).
 */
export class NonReader {
  /** The messages read (after `resume`), parsed. */
  readonly received: unknown[][] = [];
  private closeCode: number | undefined;
  private readonly closed: Promise<number>;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as unknown[]);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      });
    });
    ws.on('error', () => undefined);
  }

  /** Connects and pauses reading. */
  static open(url: string): Promise<NonReader> {
    const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.pause();
        resolve(new NonReader(ws));
      });
      ws.once('error', reject);
    });
  }

  /** Sends frames without waiting for anything. */
  sendAll(frames: readonly unknown[]): void {
    for (const frame of frames) this.ws.send(JSON.stringify(frame));
  }

  /** Reads again and resolves with the close code once the relay's close arrives (or `undefined`). */
  async resumeUntilClosed(timeoutMs: number): Promise<number | undefined> {
    this.ws.resume();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const code = await Promise.race([this.closed, timeout]);
    clearTimeout(timer);
    return code;
  }

  /** Reads again until nothing has arrived for `quietMs`; resolves with everything read. */
  async resumeUntilQuiet(quietMs: number, timeoutMs: number): Promise<unknown[][]> {
    this.ws.resume();
    const deadline = Date.now() + timeoutMs;
    let seen = -1;
    while (seen !== this.received.length && Date.now() < deadline && this.closeCode === undefined) {
      seen = this.received.length;
      await new Promise((resolve) => setTimeout(resolve, quietMs));
    }
    return this.received;
  }

  /** Drops the connection. */
  terminate(): void {
    if (this.closeCode === undefined) this.ws.terminate();
  }
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status); 0 when it is gone. */
function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The relay's processes that hold read-path memory: the standalone process, or gateways and query services. */
export function readPathPids(relay: RelayUnderTest): number[] {
  if (relay.pid !== undefined) return [relay.pid];
  const cluster = (relay as Partial<ClusterRelay>).cluster;
  if (cluster === undefined) return [];
  const pids = [...cluster.gateways, ...cluster.queryServices].map((s) => s.pid);
  return pids.filter((pid): pid is number => pid !== undefined);
}

/**
 * Resolves once the summed RSS of `pids` moved by less than 8 MiB over one second (or after
 * `timeoutMs`): work still in flight from a previous step (a burst of publishes fanned out to
 * every gateway) is then not measured as the cost of the next one.
 */
export async function settled(pids: readonly number[], timeoutMs = 15_000): Promise<void> {
  const sum = () => pids.reduce((total, pid) => total + rssOf(pid), 0);
  const deadline = Date.now() + timeoutMs;
  let last = sum();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = sum();
    if (Math.abs(now - last) < 8 * 1024 * 1024) return;
    last = now;
  }
}

/** Samples the summed RSS of `pids` every `everyMs` until stopped; reports the peak. */
export class RssSampler {
  private peak = 0;
  /** Each process's highest RSS seen, to name which one grew. */
  private readonly peaks = new Map<number, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: readonly number[],
    everyMs = 100,
  ) {
    this.timer = setInterval(() => this.sample(), everyMs);
    this.sample();
  }

  /** Summed RSS now, in bytes. */
  now(): number {
    return this.pids.reduce((sum, pid) => sum + rssOf(pid), 0);
  }

  private sample(): void {
    let sum = 0;
    for (const pid of this.pids) {
      const rss = rssOf(pid);
      sum += rss;
      this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, rss));
    }
    this.peak = Math.max(this.peak, sum);
  }

  /** Each process's peak RSS, e.g. `123: 80.1 MiB`, for diagnostics. */
  perProcess(): string {
    return [...this.peaks].map(([pid, rss]) => `${pid}: ${mib(rss)}`).join(', ');
  }

  /** Stops sampling; the highest summed RSS seen, in bytes. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

/** `bytes` as MiB with one decimal, for diagnostics. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
