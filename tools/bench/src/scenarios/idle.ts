import { randomBytes } from 'node:crypto';
import { closeAll, connectMany, type RelaySocket, sleep } from '../client.js';
import { openFileLimit, residentBytes } from '../machine.js';
import type { ProgressSink } from '../progress.js';
import { nextSubId } from '../query.js';
import { type Figure, latencyFigures, type ScenarioResult } from '../report.js';
import { perSecond, SampleBuffer } from '../stats.js';

/** Settings of the `idle` scenario. */
export interface IdleOptions {
  url: string;
  /** Connections to open, each with one REQ. */
  count: number;
  /** Bound on the whole scenario, seconds. */
  durationSec: number;
  /** Relay processes whose RSS is summed; empty: no memory figures. */
  pids: readonly number[];
  /** Handshakes in flight at once. */
  parallel: number;
}

/** Default settings of `idle`. */
export const IDLE_DEFAULTS = { count: 1000, durationSec: 120, parallel: 100 } as const;

/** Descriptors beyond the connections: stdio, the event loop, signing threads, slack. */
const FD_HEADROOM = 64;
/** Time given to the relay to settle (allocator, GC) before reading RSS. */
const SETTLE_MS = 2000;

/** How to raise the open-file limit for `count` connections (printed when it is too low). */
export function fileLimitAdvice(count: number): string {
  const need = count + FD_HEADROOM;
  return (
    `each connection is one file descriptor in this process and one in the relay: run both from a shell ` +
    `after \`ulimit -n ${Math.max(need, 65536)}\` (the hard limit, \`ulimit -Hn\`, caps it; ` +
    `raise that in /etc/security/limits.conf or with systemd LimitNOFILE=)`
  );
}

function rssOf(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + residentBytes(pid), 0);
}

function reqAll(sockets: readonly RelaySocket[], deadline: number, eose: SampleBuffer): Promise<number> {
  return new Promise((resolve) => {
    let pending = sockets.length;
    const timer = setInterval(() => {
      if (pending === 0 || performance.now() >= deadline) {
        clearInterval(timer);
        resolve(pending);
      }
    }, 20);
    for (const s of sockets) {
      const subId = nextSubId('i');
      const t0 = performance.now();
      // A live filter no event will match, so connections stay idle after EOSE.
      const filter = { kinds: [1], '#p': [randomBytes(32).toString('hex')], limit: 10 };
      s.handlers = {
        eose: (id, at) => {
          if (id !== subId) return;
          eose.push(at - t0);
          pending--;
        },
      };
      s.req(subId, [filter]);
    }
  });
}

/**
 * Memory cost of idle subscribers: RSS of the relay processes before and after `count`
 * connections each hold one live subscription, divided by `count`.
 */
export async function runIdle(opts: IdleOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const own = openFileLimit();
  if (own !== undefined && own < opts.count + FD_HEADROOM) {
    throw new Error(
      `open-file limit ${own} is too low for ${opts.count} connections: ${fileLimitAdvice(opts.count)}`,
    );
  }
  const notes: string[] = [];
  for (const pid of opts.pids) {
    const limit = openFileLimit(pid);
    if (limit !== undefined && limit < opts.count + FD_HEADROOM) {
      notes.push(
        `relay pid ${pid} allows ${limit} open files, fewer than ${opts.count}: ${fileLimitAdvice(opts.count)}`,
      );
    }
  }
  if (opts.pids.length === 0) notes.push('no --pid given: relay memory was not measured');
  notes.push(
    `open-file limit of this process: ${own ?? 'unknown'} (for 10k connections: ${fileLimitAdvice(10_000)})`,
  );
  const deadline = performance.now() + opts.durationSec * 1000;
  const before = opts.pids.length > 0 ? rssOf(opts.pids) : Number.NaN;

  progress.start('opening connections', opts.count);
  const t0 = performance.now();
  const sockets = await connectMany(opts.url, opts.count, opts.parallel, (n) => progress.update(n));
  const connectMs = performance.now() - t0;
  progress.finish();
  try {
    const eose = new SampleBuffer();
    progress.start('subscribing', opts.count);
    const missing = await reqAll(sockets, deadline, eose);
    progress.update(eose.length);
    progress.finish();
    if (missing > 0) notes.push(`${missing} REQs got no EOSE before --duration ran out`);
    await sleep(Math.min(SETTLE_MS, Math.max(0, deadline - performance.now())));
    const after = opts.pids.length > 0 ? rssOf(opts.pids) : Number.NaN;
    const open = sockets.filter((s) => s.open).length;
    const figures: Figure[] = [
      { figure: 'connections open', value: open, unit: 'connections' },
      { figure: 'connect rate', value: perSecond(opts.count, connectMs), unit: 'connections/s' },
      ...latencyFigures('REQ EOSE', eose.summary()),
      { figure: 'relay RSS before', value: before / 2 ** 20, unit: 'MiB' },
      { figure: 'relay RSS after', value: after / 2 ** 20, unit: 'MiB' },
      { figure: 'memory per connection', value: (after - before) / opts.count, unit: 'bytes' },
    ];
    return { scenario: 'idle', params: { ...opts, pids: opts.pids.join(',') }, figures, notes };
  } finally {
    await closeAll(sockets);
  }
}
