import { seededRandom } from '@nrelay/protocol/testing';
import { closeAll, connectMany, sleep } from '../client.js';
import { measureShape, type QueryShape } from '../closed-loop.js';
import type { SignedEvent } from '../events.js';
import type { ProgressSink } from '../progress.js';
import { publishPipelined, rejectionFigures } from '../publisher.js';
import { pickDistinct, type ReadsDataSet, readsDataSet } from '../reads-data.js';
import { type HotWindowReading, metricsUrlOf, readHotWindow } from '../relay-memory.js';
import { countersNow, RELAY_ANALYZE_POLICY, waitForRelayStatistics } from '../relay-statistics.js';
import type { Figure, ScenarioResult } from '../report.js';
import { SignerPool } from '../signer.js';
import { perSecond } from '../stats.js';

/** Settings of the `reads` scenario. */
export interface ReadsOptions {
  url: string;
  /** The relay's Postgres: wait there for its own ANALYZE after seeding. Unset: wait 2 × statsCheckSeconds. */
  databaseUrl: string | undefined;
  /** Notes in the data set. */
  count: number;
  authors: number;
  /** Seconds per shape (closed loop, no query count). */
  durationSec: number;
  /** Closed-loop clients, one connection each. */
  clients: number;
  /** Seeding: connections × EVENTs in flight on each. */
  connections: number;
  inflight: number;
  /** The relay's STATS_CHECK_SECONDS (embedded: the wait after seeding is twice this). */
  statsCheckSeconds: number;
  /** With a database URL, how long to wait for the relay's ANALYZE at most. */
  statsWaitSec: number;
  seed: number;
}

/** Default settings of `reads`: the issue-12 data set and shapes; statsCheckSeconds is the relay's default STATS_CHECK_SECONDS. */
export const READS_DEFAULTS = {
  count: 20_000,
  authors: 1000,
  durationSec: 20,
  clients: 4,
  connections: 8,
  inflight: 64,
  statsCheckSeconds: 10,
  statsWaitSec: 90,
} as const;

/** The data set's created_at window: the last 2 hours. */
const SPAN_SECONDS = 2 * 3600;
const QUERY_TIMEOUT_MS = 30_000;
const DRAIN_MS = 30_000;
/** Notes signed per progress update. */
const SIGN_STEP = 4000;

/** The shapes of issue 12, named as there, with their filters in words. */
export const READS_SHAPES = [
  ['(a)', '{kinds:[1],limit:100}'],
  ['(b)', '{authors:[10 pubkeys of the set],limit:100}'],
  ['(c)', '{"#t":[one of the 100 values],limit:50}'],
  ['(d)', '{ids:[10 known ids of the set]}'],
  ['(e)', '{kinds:[1],since:now-3600,limit:500}'],
] as const;

function shapes(set: ReadsDataSet, ids: readonly string[], seed: number): QueryShape[] {
  const rand = seededRandom(seed);
  const authors = set.keys.pubkeys.slice(0, Math.min(set.keys.pubkeys.length, set.drafts.length));
  const filters: Array<() => object> = [
    () => ({ kinds: [1], limit: 100 }),
    () => ({ authors: pickDistinct(authors, 10, rand), limit: 100 }),
    () => ({ '#t': pickDistinct(set.tValues, 1, rand), limit: 50 }),
    () => ({ ids: pickDistinct(ids, 10, rand) }),
    () => ({ kinds: [1], since: Math.floor(Date.now() / 1000) - 3600, limit: 500 }),
  ];
  return READS_SHAPES.map(([name], i) => ({ name, filter: filters[i] as () => object }));
}

async function signSet(opts: ReadsOptions, progress: ProgressSink) {
  const set = readsDataSet({
    count: opts.count,
    authors: opts.authors,
    seed: opts.seed,
    now: Math.floor(Date.now() / 1000),
    spanSeconds: SPAN_SECONDS,
  });
  const pool = new SignerPool();
  try {
    progress.start('signing the reads data set', opts.count);
    const events: SignedEvent[] = [];
    for (let i = 0; i < set.drafts.length; i += SIGN_STEP) {
      events.push(...(await pool.sign(set.drafts.slice(i, i + SIGN_STEP), set.keys)));
      progress.update(events.length);
    }
    progress.finish(pool.impl);
    if (events.some((e, i) => e.id !== set.ids[i]))
      throw new Error('the signer computed other ids than the data set (serialization mismatch)');
    return { set, events };
  } finally {
    await pool.close();
  }
}

const MIB = 1024 * 1024;

/** The window's memory after seeding: what it holds against its budget. */
function hotWindowMemory(w: HotWindowReading): Figure[] {
  return [
    { figure: 'hot window events', value: w.events, unit: 'events' },
    { figure: 'hot window memory', value: w.bytes / MIB, unit: 'MiB' },
    { figure: 'hot window budget', value: w.budgetBytes / MIB, unit: 'MiB' },
  ];
}

/** Share of a shape's REQ filters the window answered, from the counters before and after. */
function hotWindowHitRate(shape: string, start: HotWindowReading, end: HotWindowReading): Figure {
  const hits = end.fromWindow - start.fromWindow;
  const total = hits + end.fromQuery - start.fromQuery;
  return { figure: `${shape} hot window hits`, value: total > 0 ? (100 * hits) / total : 0, unit: '%' };
}

/**
 * Issue 12's read benchmark: seeds its data set over WebSocket (real signatures, on top of
 * whatever the relay holds), waits until the relay has kept its planner statistics, then runs
 * shapes (a)–(e) in turn, each for `durationSec` with `clients` closed-loop clients.
 */
export async function runReads(opts: ReadsOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const { set, events } = await signSet(opts, progress);
  const before = opts.databaseUrl === undefined ? undefined : await countersNow(opts.databaseUrl);
  const seeders = await connectMany(opts.url, opts.connections, opts.connections);
  let seeded: Awaited<ReturnType<typeof publishPipelined>>;
  try {
    progress.start('seeding the reads data set', events.length);
    seeded = await publishPipelined({
      sockets: seeders,
      events,
      inflight: opts.inflight,
      deadline: performance.now() + 600_000,
      drainMs: DRAIN_MS,
      onProgress: (n) => progress.update(n),
      keepIds: true,
    });
    progress.finish();
  } finally {
    await closeAll(seeders);
  }
  const ids = set.ids.filter((id) => seeded.acceptedIds.has(id));
  if (ids.length < 10) throw new Error(`the relay accepted only ${ids.length} of the data set's notes`);
  const notes = [
    `data set: ${opts.count} kind-1 notes by ${opts.authors} authors (keys derived from seed ${opts.seed}), ~300-byte content, tags t (1 of 100) / p / e (an earlier note), created_at over the last 2 h; on top of the relay's other contents`,
  ];
  if (seeded.unanswered > 0) notes.push(`${seeded.unanswered} EVENTs of the data set got no OK`);
  progress.start('waiting for the relay’s planner statistics', 0);
  let waitedMs: number;
  if (before !== undefined && opts.databaseUrl !== undefined) {
    const end = await countersNow(opts.databaseUrl);
    const wait = await waitForRelayStatistics({
      databaseUrl: opts.databaseUrl,
      before: before.counters,
      inserted: seeded.accepted - seeded.duplicates,
      seedEndMs: end.nowMs,
      policy: RELAY_ANALYZE_POLICY,
      timeoutMs: opts.statsWaitSec * 1000,
    });
    waitedMs = wait.ms;
    notes.push(wait.note);
  } else {
    waitedMs = 2 * opts.statsCheckSeconds * 1000;
    await sleep(waitedMs);
    notes.push(
      `planner statistics: no database URL to look at (embedded, PGlite), so waited 2 × STATS_CHECK_SECONDS = ${waitedMs / 1000} s after seeding for the relay's own check`,
    );
  }
  progress.finish();
  const figures: Figure[] = [
    { figure: 'seeded OK true', value: seeded.accepted, unit: 'events' },
    { figure: 'seed rate', value: perSecond(seeded.accepted, seeded.wallMs), unit: 'events/s' },
    ...rejectionFigures(seeded.rejected),
    { figure: 'statistics wait', value: waitedMs / 1000, unit: 's' },
  ];
  const metricsUrl = metricsUrlOf(opts.url);
  const window = await readHotWindow(metricsUrl);
  if (window === undefined) notes.push('hot window: the relay exports none (off, or not nrelay)');
  else figures.push(...hotWindowMemory(window));
  const clients = await connectMany(opts.url, opts.clients, opts.clients);
  try {
    for (const shape of shapes(set, ids, opts.seed)) {
      const bounds = {
        count: Number.POSITIVE_INFINITY,
        durationSec: opts.durationSec,
        timeoutMs: QUERY_TIMEOUT_MS,
      };
      const start = window && (await readHotWindow(metricsUrl));
      figures.push(...(await measureShape(clients, shape, bounds, progress)).figures);
      const end = start && (await readHotWindow(metricsUrl));
      if (start && end) figures.push(hotWindowHitRate(shape.name, start, end));
    }
  } finally {
    await closeAll(clients);
  }
  return {
    scenario: 'reads',
    params: {
      ...opts,
      databaseUrl: opts.databaseUrl ? 'set' : 'unset',
      shapes: READS_SHAPES.map(([n, f]) => `${n} ${f}`).join('; '),
    },
    figures,
    notes,
  };
}
