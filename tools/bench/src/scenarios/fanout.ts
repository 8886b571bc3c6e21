import { randomBytes } from 'node:crypto';
import { closeAll, connectMany, RelaySocket, sleep } from '../client.js';
import { DeliveryLedger } from '../deliveries.js';
import type { SignedEvent } from '../events.js';
import type { ProgressSink } from '../progress.js';
import { type PublishOutcome, publishPaced } from '../publisher.js';
import { nextSubId } from '../query.js';
import { type Figure, latencyFigures, type ScenarioResult } from '../report.js';
import { presign, SignerPool } from '../signer.js';
import { perSecond } from '../stats.js';

/** `all`: every subscriber matches every event; `author`: each follows one author. */
type FanoutMode = 'all' | 'author';

/** Settings of the `fanout` scenario. */
export interface FanoutOptions {
  /** Where the publisher connects. */
  url: string;
  /** Where the subscribers connect (another gateway of the cluster, or the same URL). */
  subUrl: string;
  subscribers: number;
  mode: FanoutMode;
  /** Authors the events are spread over (round robin). */
  authors: number;
  /** Events per second the publisher sends. */
  rate: number;
  /** Events to publish. */
  count: number;
  /**
   * Events published first at the same rate while the subscribers are connected but not yet
   * subscribed: the publisher's OK latency without fan-out work, to compare with (0: skip).
   */
  baseline: number;
  durationSec: number;
  seed: number;
}

/** Default settings of `fanout`. */
export const FANOUT_DEFAULTS = {
  subscribers: 500,
  mode: 'all',
  authors: 50,
  rate: 100,
  count: 1000,
  baseline: 0,
  durationSec: 30,
} as const;

/** After the last OK, deliveries are awaited until none came for this long… */
const QUIET_MS = 5000;
/** …or this long at most; what has not arrived by then counts as missing. */
const SETTLE_MAX_MS = 60_000;
const READY_TIMEOUT_MS = 60_000;

interface Subscriber {
  socket: RelaySocket;
  /** Index of the followed author (author mode). */
  author: number;
}

/** Subscribes every socket and resolves once each has its EOSE. */
function subscribeAll(
  subs: Subscriber[],
  filterOf: (s: Subscriber) => object,
  progress: ProgressSink,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let ready = 0;
    const timer = setTimeout(
      () =>
        reject(
          new Error(`only ${ready} of ${subs.length} subscriptions got EOSE within ${READY_TIMEOUT_MS} ms`),
        ),
      READY_TIMEOUT_MS,
    );
    progress.start('subscribing', subs.length);
    for (const s of subs) {
      const subId = nextSubId('f');
      s.socket.handlers = {
        eose: (id) => {
          if (id !== subId) return;
          progress.update(++ready);
          if (ready === subs.length) {
            clearTimeout(timer);
            progress.finish();
            resolve();
          }
        },
        closed: (id, reason) => {
          if (id === subId) reject(new Error(`subscription refused: ${reason}`));
        },
      };
      s.socket.req(subId, [filterOf(s)]);
    }
  });
}

/**
 * Waits for the deliveries still on their way after the last OK: until all `expected` arrived,
 * none arrived for {@link QUIET_MS}, or {@link SETTLE_MAX_MS} passed. False in the last case.
 */
async function awaitDeliveries(
  ledger: DeliveryLedger,
  expected: number,
  progress: ProgressSink,
): Promise<boolean> {
  const t0 = performance.now();
  let seen = ledger.delays.length;
  let lastChange = t0;
  progress.start('awaiting deliveries', expected);
  try {
    while (ledger.delays.length < expected) {
      const now = performance.now();
      if (ledger.delays.length !== seen) {
        seen = ledger.delays.length;
        lastChange = now;
      }
      progress.update(seen);
      if (now - lastChange >= QUIET_MS) return true;
      if (now - t0 >= SETTLE_MAX_MS) return false;
      await sleep(20);
    }
    return true;
  } finally {
    progress.finish();
  }
}

/** Publishes `events` at the scenario's rate before anyone subscribed; returns the outcome. */
async function publishBaseline(
  publisher: RelaySocket,
  events: SignedEvent[],
  opts: FanoutOptions,
  progress: ProgressSink,
): Promise<PublishOutcome> {
  progress.start('publishing without subscribers', events.length);
  const out = await publishPaced(publisher, events, opts.rate, opts.durationSec * 1000, new Map(), (n) =>
    progress.update(n),
  );
  progress.finish();
  return out;
}

/**
 * Publish → delivery delay across `subscribers` live subscriptions, and per-subscriber exactly-once
 * delivery: each must receive every accepted event it matches, once, and nothing else. Events
 * carry a fresh `t` tag so other traffic on the relay does not match.
 */
export async function runFanout(opts: FanoutOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const runTag = `bench-${randomBytes(6).toString('hex')}`;
  const pool = new SignerPool();
  let prepared: Awaited<ReturnType<typeof presign>>;
  let baselineEvents: Awaited<ReturnType<typeof presign>>['events'] = [];
  try {
    const sign = (count: number, tag: string) =>
      presign(pool, progress, {
        count,
        authors: opts.authors,
        mix: 'notes',
        seed: opts.seed,
        now: Math.floor(Date.now() / 1000),
        spanSeconds: 0,
        runTag: tag,
        roundRobin: true,
      });
    prepared = await sign(opts.count, runTag);
    // Another tag: no subscription matches these, even one that came early.
    if (opts.baseline > 0) baselineEvents = (await sign(opts.baseline, `${runTag}-baseline`)).events;
  } finally {
    await pool.close();
  }
  const { keys, events } = prepared;
  const authorOf = new Map(keys.pubkeys.map((pk, i) => [pk, i]));
  progress.start('connecting subscribers', opts.subscribers);
  const sockets = await connectMany(opts.subUrl, opts.subscribers, 50, (n) => progress.update(n));
  progress.finish();
  const subs: Subscriber[] = sockets.map((socket, i) => ({ socket, author: i % opts.authors }));
  const publisher = await RelaySocket.connect(opts.url).catch(async (err: unknown) => {
    await closeAll(sockets);
    throw err;
  });
  try {
    const baseline =
      baselineEvents.length > 0
        ? await publishBaseline(publisher, baselineEvents, opts, progress)
        : undefined;
    await subscribeAll(
      subs,
      (s) =>
        opts.mode === 'all'
          ? { kinds: [1], '#t': [runTag], limit: 0 }
          : { authors: [keys.pubkeys[s.author]], '#t': [runTag], limit: 0 },
      progress,
    );
    const ledger = new DeliveryLedger(
      events.map((e) => ({ id: e.id, author: authorOf.get(e.pubkey) ?? -1 })),
    );
    for (const s of subs) {
      const deliver = ledger.subscribe(opts.mode === 'all' ? -1 : s.author);
      s.socket.handlers = { eventId: (_subId, id, at) => deliver(id, at) };
    }
    const elu0 = performance.eventLoopUtilization();
    progress.start('fanout publishing', events.length);
    const pub = await publishPaced(
      publisher,
      events,
      opts.rate,
      opts.durationSec * 1000,
      ledger.sentAt,
      (n) => progress.update(n),
    );
    progress.finish();
    const expected = ledger.expected(pub.acceptedIds);
    const settled = await awaitDeliveries(ledger, expected, progress);
    const busy = performance.eventLoopUtilization(elu0).utilization;
    const t = ledger.tally(pub.acceptedIds);
    const firstSend = ledger.sentAt.get(events[0]?.id ?? '') ?? 0;
    const figures: Figure[] = [
      ...latencyFigures('delivery delay', ledger.delays.summary()),
      { figure: 'deliveries expected', value: t.expected, unit: 'events' },
      { figure: 'deliveries', value: t.delivered, unit: 'events' },
      {
        figure: 'delivery rate',
        value: perSecond(t.delivered, ledger.lastDelivery - firstSend),
        unit: 'events/s',
      },
      { figure: 'missing', value: t.missing, unit: 'events' },
      { figure: 'subscribers missing events', value: t.subscribersMissing, unit: 'subscribers' },
      { figure: 'duplicates', value: t.duplicates, unit: 'events' },
      { figure: 'unexpected', value: t.unexpected, unit: 'events' },
      { figure: 'published', value: pub.sent, unit: 'events' },
      { figure: 'publish rate', value: perSecond(pub.sent, pub.sendMs), unit: 'events/s' },
      { figure: 'publisher OK true', value: pub.accepted, unit: 'events' },
      ...latencyFigures('publisher OK latency', pub.latencies.summary()),
      ...(baseline
        ? latencyFigures('publisher OK latency without subscribers', baseline.latencies.summary())
        : []),
      { figure: 'client event loop busy', value: busy * 100, unit: '%' },
    ];
    const notes = [`delays are measured in this process: they include the benchmark's own event-loop time`];
    if (busy > 0.9)
      notes.push(
        'the benchmark client was saturated (event loop over 90% busy): delays include its own backlog',
      );
    if (!settled)
      notes.push(
        `deliveries were still arriving ${SETTLE_MAX_MS / 1000} s after the last OK: late ones count as missing`,
      );
    if (pub.sent < events.length)
      notes.push(`--duration ended publishing after ${pub.sent} of ${events.length}`);
    return { scenario: 'fanout', params: { ...opts }, figures, notes };
  } finally {
    await closeAll([publisher, ...sockets]);
  }
}
