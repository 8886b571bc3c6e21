import { randomBytes } from 'node:crypto';
import { closeAll, connectMany, RelaySocket, sleep } from '../client.js';
import { DeliveryLedger } from '../deliveries.js';
import type { ProgressSink } from '../progress.js';
import { publishPaced } from '../publisher.js';
import { nextSubId } from '../query.js';
import { type Figure, latencyFigures, type ScenarioResult } from '../report.js';
import { presign, SignerPool } from '../signer.js';
import { perSecond } from '../stats.js';

/** `all`: every subscriber matches every event; `author`: each follows one author. */
export type FanoutMode = 'all' | 'author';

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
  durationSec: 30,
} as const;

/** How long subscribers may still receive events after the last OK. */
const SETTLE_MS = 10_000;
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
 * Publish → delivery delay across `subscribers` live subscriptions, and per-subscriber exactly-once
 * delivery: each must receive every accepted event it matches, once, and nothing else. Events
 * carry a fresh `t` tag so other traffic on the relay does not match.
 */
export async function runFanout(opts: FanoutOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const runTag = `bench-${randomBytes(6).toString('hex')}`;
  const pool = new SignerPool();
  let prepared: Awaited<ReturnType<typeof presign>>;
  try {
    prepared = await presign(pool, progress, {
      count: opts.count,
      authors: opts.authors,
      mix: 'notes',
      seed: opts.seed,
      now: Math.floor(Date.now() / 1000),
      spanSeconds: 0,
      runTag,
      roundRobin: true,
    });
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
    const settleUntil = performance.now() + SETTLE_MS;
    while (ledger.delays.length < expected && performance.now() < settleUntil) await sleep(20);
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
    ];
    const notes = [`delays are measured in this process: they include the benchmark's own event-loop time`];
    if (pub.sent < events.length)
      notes.push(`--duration ended publishing after ${pub.sent} of ${events.length}`);
    return { scenario: 'fanout', params: { ...opts }, figures, notes };
  } finally {
    await closeAll([publisher, ...sockets]);
  }
}
