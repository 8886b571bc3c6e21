import { randomBytes } from 'node:crypto';
import { closeAll, connectMany, type RelaySocket, reasonPrefix } from '../client.js';
import { openFileLimit } from '../machine.js';
import type { ProgressSink } from '../progress.js';
import { nextSubId } from '../query.js';
import { metricsUrlOf, readMetrics, type SettleOptions, settledRss } from '../relay-memory.js';
import { type Figure, latencyFigures, type ScenarioResult } from '../report.js';
import { perSecond, SampleBuffer } from '../stats.js';

/** Settings of the `idle` scenario. */
export interface IdleOptions {
  /** Where the connections go: for a cluster, one gateway's own port, not the load balancer. */
  url: string;
  /** Connections to open, each with one REQ. */
  count: number;
  /** Bound on the whole scenario, seconds. */
  durationSec: number;
  /** Relay processes whose RSS is measured (summed): the one process `url` reaches. */
  pids: readonly number[];
  /** Handshakes, then REQs, in flight at once. */
  parallel: number;
  /** When RSS counts as stable (default {@link SETTLE_DEFAULTS}). */
  settle?: SettleOptions;
}

/** Default settings of `idle`. */
export const IDLE_DEFAULTS = { count: 1000, durationSec: 120, parallel: 100 } as const;

/** Descriptors beyond the connections: stdio, the event loop, signing threads, slack. */
const FD_HEADROOM = 64;

/** How to raise the open-file limit for `count` connections (printed when it is too low). */
export function fileLimitAdvice(count: number): string {
  const need = count + FD_HEADROOM;
  return (
    `each connection is one file descriptor in this process and one in the relay. Node raises its own ` +
    `soft limit to the hard limit (\`ulimit -Hn\`) at start, so the hard limit of the shell that starts ` +
    `both must be at least ${need}: raise it in /etc/security/limits.conf, with systemd LimitNOFILE=, ` +
    `or as root with \`ulimit -Hn 65536\` before starting them`
  );
}

/**
 * The most idle connections this process and every process in `pids` can hold, from their
 * open-file limits; Infinity when no limit is known.
 */
export function idleCapacity(pids: readonly number[]): number {
  const limits = [openFileLimit(), ...pids.map((pid) => openFileLimit(pid))].filter(
    (l): l is number => l !== undefined,
  );
  return Math.min(...limits) - FD_HEADROOM;
}

function assertFileLimits(opts: IdleOptions): void {
  const own = openFileLimit();
  if (own !== undefined && own < opts.count + FD_HEADROOM) {
    throw new Error(
      `open-file limit ${own} is too low for ${opts.count} connections: ${fileLimitAdvice(opts.count)}`,
    );
  }
  for (const pid of opts.pids) {
    const limit = openFileLimit(pid);
    if (limit !== undefined && limit < opts.count + FD_HEADROOM) {
      throw new Error(
        `relay pid ${pid} allows ${limit} open files, too few for ${opts.count} connections: ${fileLimitAdvice(opts.count)}`,
      );
    }
  }
}

/** How the REQs of the idle connections were answered. */
interface SubscribeOutcome {
  /** REQs still without EOSE or CLOSED when the deadline came. */
  unanswered: number;
  /** CLOSED answers by reason prefix. */
  refused: Map<string, number>;
}

/**
 * One REQ per socket, at most `parallel` without an answer at a time (a burst of thousands of
 * stored queries at once would measure the query service's queue, not idle memory).
 */
function subscribeAll(
  sockets: readonly RelaySocket[],
  parallel: number,
  deadline: number,
  eose: SampleBuffer,
  onAnswered: (n: number) => void,
): Promise<SubscribeOutcome> {
  const out: SubscribeOutcome = { unanswered: 0, refused: new Map() };
  let next = 0;
  let answered = 0;
  const send = (): void => {
    const s = sockets[next++];
    if (s === undefined) return;
    const subId = nextSubId('i');
    const t0 = performance.now();
    const done = (): void => {
      answered++;
      if (performance.now() < deadline) send();
    };
    s.handlers = {
      eose: (id, at) => {
        if (id !== subId) return;
        eose.push(at - t0);
        done();
      },
      closed: (id, reason) => {
        if (id !== subId) return;
        const p = reasonPrefix(reason);
        out.refused.set(p, (out.refused.get(p) ?? 0) + 1);
        done();
      },
    };
    // A live filter no event will match, so the connection stays idle after EOSE.
    s.req(subId, [{ kinds: [1], '#p': [randomBytes(32).toString('hex')], limit: 10 }]);
  };
  for (let i = 0; i < parallel; i++) send();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      onAnswered(answered);
      if (answered < sockets.length && performance.now() < deadline) return;
      clearInterval(timer);
      out.unanswered = sockets.length - answered;
      resolve(out);
    }, 20);
  });
}

const MIB = 2 ** 20;

/**
 * Memory cost of idle subscribers: RSS of the relay process (`pids`) before and after `count`
 * connections each hold one live subscription, divided by `count`; RSS is read once it has
 * stopped moving (no garbage collection can be forced from outside). When the relay's /metrics
 * exports a V8 heap gauge, the heap delta per connection too, and the relay's own connection
 * count is checked against the connections opened.
 */
export async function runIdle(opts: IdleOptions, progress: ProgressSink): Promise<ScenarioResult> {
  assertFileLimits(opts);
  const notes: string[] = [];
  const measure = opts.pids.length > 0;
  if (!measure) notes.push('no --pid given: relay memory was not measured');
  const deadline = performance.now() + opts.durationSec * 1000;
  const metricsUrl = metricsUrlOf(opts.url);
  progress.start('relay memory before', 0);
  const before = measure ? await settledRss(opts.pids, opts.settle) : undefined;
  const metricsBefore = await readMetrics(metricsUrl);
  progress.finish();

  progress.start('opening connections', opts.count);
  const t0 = performance.now();
  const sockets = await connectMany(opts.url, opts.count, opts.parallel, (n) => progress.update(n));
  const connectMs = performance.now() - t0;
  progress.finish();
  try {
    const eose = new SampleBuffer();
    progress.start('subscribing', opts.count);
    const sub = await subscribeAll(sockets, opts.parallel, deadline, eose, (n) => progress.update(n));
    progress.finish();
    if (sub.unanswered > 0) notes.push(`${sub.unanswered} REQs got no answer before --duration ran out`);
    for (const [prefix, n] of sub.refused) notes.push(`${n} REQs were refused with CLOSED ${prefix}:`);
    progress.start('relay memory after', 0);
    const after = measure ? await settledRss(opts.pids, opts.settle) : undefined;
    const metricsAfter = await readMetrics(metricsUrl);
    progress.finish();
    const open = sockets.filter((s) => s.open).length;
    const figures: Figure[] = [
      { figure: 'connections open', value: open, unit: 'connections' },
      { figure: 'subscriptions open', value: eose.length, unit: 'subscriptions' },
      { figure: 'connect rate', value: perSecond(opts.count, connectMs), unit: 'connections/s' },
      ...latencyFigures('REQ EOSE', eose.summary()),
    ];
    if (before && after) {
      figures.push(
        { figure: 'relay RSS before', value: before.bytes / MIB, unit: 'MiB' },
        { figure: 'relay RSS after', value: after.bytes / MIB, unit: 'MiB' },
        {
          figure: 'RSS per connection',
          value: (after.bytes - before.bytes) / opts.count / 1024,
          unit: 'KiB',
        },
      );
      notes.push(
        `RSS of pid ${opts.pids.join('+')} read once stable (${(after.waitedMs / 1000).toFixed(0)} s after the last EOSE` +
          `${after.settled ? '' : ', still moving'}); it includes garbage not yet collected`,
      );
    }
    const heapBefore = metricsBefore?.heapUsedBytes;
    const heapAfter = metricsAfter?.heapUsedBytes;
    if (heapBefore !== undefined && heapAfter !== undefined) {
      figures.push({
        figure: 'V8 heap per connection',
        value: (heapAfter - heapBefore) / opts.count / 1024,
        unit: 'KiB',
      });
    } else {
      notes.push(`${metricsUrl} exports no V8 heap gauge: RSS only`);
    }
    const relayCount = metricsAfter?.connections;
    if (relayCount !== undefined) {
      figures.push({ figure: 'relay-reported connections', value: relayCount, unit: 'connections' });
      const expected = (metricsBefore?.connections ?? 0) + open;
      if (relayCount < expected)
        notes.push(
          `the relay at ${opts.url} reports ${relayCount} connections, not ${expected}: the connections may have ` +
            'reached another process (a load balancer?), so the memory figures do not describe them',
        );
    }
    const { settle: _, ...params } = opts;
    return { scenario: 'idle', params: { ...params, pids: opts.pids.join(',') }, figures, notes };
  } finally {
    progress.start('closing connections', 0);
    await closeAll(sockets);
    progress.finish();
  }
}
