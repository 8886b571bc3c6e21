import { seededRandom } from '@nrelay/protocol/testing';
import { closeAll, connectMany } from '../client.js';
import { measureShape } from '../closed-loop.js';
import type { ProgressSink } from '../progress.js';
import { queryUrl } from '../query.js';
import type { Figure, ScenarioResult } from '../report.js';

/** Settings of the `req` scenario. */
export interface ReqOptions {
  url: string;
  /** Queries per shape. */
  count: number;
  /** Seconds per shape at most. */
  durationSec: number;
  /** Concurrent clients, one connection each, each with one query outstanding. */
  clients: number;
  seed: number;
  /** Only these shapes (names of {@link REQ_SHAPES}); all when empty. */
  shapes: readonly string[];
}

/** Default settings of `req`. */
export const REQ_DEFAULTS = { count: 500, durationSec: 15, clients: 4 } as const;

/** Ids, authors, hashtags and timestamps seen in the newest stored events. */
interface StoreSample {
  ids: string[];
  pubkeys: string[];
  hashtags: string[];
  /** Ascending. */
  createdAts: number[];
}

type Rand = () => number;

function pickOne<T>(xs: readonly T[], r: Rand): T {
  return xs[Math.floor(r() * xs.length)] as T;
}

function pickSome<T>(xs: readonly T[], n: number, r: Rand): T[] {
  return Array.from({ length: n }, () => pickOne(xs, r));
}

/** The filter shapes measured, each drawing its values from the sample. */
export const REQ_SHAPES: ReadonlyArray<{ name: string; filter(s: StoreSample, r: Rand): object }> = [
  { name: 'kinds1-limit100', filter: () => ({ kinds: [1], limit: 100 }) },
  { name: 'authors10', filter: (s, r) => ({ authors: pickSome(s.pubkeys, 10, r) }) },
  { name: 'tag-t', filter: (s, r) => ({ '#t': [pickOne(s.hashtags, r)] }) },
  { name: 'ids10', filter: (s, r) => ({ ids: pickSome(s.ids, 10, r) }) },
  {
    name: 'kinds1-since-limit500',
    filter: (s, r) => ({
      kinds: [1],
      since: s.createdAts[Math.floor((r() * s.createdAts.length) / 2)],
      limit: 500,
    }),
  },
];

const SAMPLE_LIMIT = 2000;
const QUERY_TIMEOUT_MS = 30_000;

async function sampleStore(url: string): Promise<StoreSample> {
  const answer = await queryUrl(url, [{ limit: SAMPLE_LIMIT }], QUERY_TIMEOUT_MS);
  const pubkeys = new Set<string>();
  const hashtags = new Set<string>();
  for (const e of answer.events) {
    pubkeys.add(e.pubkey);
    for (const t of e.tags) if (t[0] === 't' && typeof t[1] === 'string') hashtags.add(t[1]);
  }
  const sample = {
    ids: answer.events.map((e) => e.id),
    pubkeys: [...pubkeys],
    hashtags: [...hashtags],
    createdAts: answer.events.map((e) => e.created_at).sort((a, b) => a - b),
  };
  if (sample.ids.length < 10 || sample.hashtags.length === 0) {
    throw new Error(
      `the store at ${url} returned ${sample.ids.length} events (${sample.hashtags.length} hashtags): ` +
        'seed it first, e.g. `node tools/bench/dist/cli.js seed --count 20000`',
    );
  }
  return sample;
}

/**
 * Time to EOSE and queries per second for each filter shape in turn, with `clients` clients
 * each keeping one query outstanding. Values are drawn from a sample of the newest events.
 */
export async function runReq(opts: ReqOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const shapes = REQ_SHAPES.filter((s) => opts.shapes.length === 0 || opts.shapes.includes(s.name));
  if (shapes.length === 0)
    throw new Error(`no such shape; shapes are ${REQ_SHAPES.map((s) => s.name).join(', ')}`);
  const sample = await sampleStore(opts.url);
  const sockets = await connectMany(opts.url, opts.clients, opts.clients);
  const figures: Figure[] = [];
  const notes: string[] = [];
  const rand = seededRandom(opts.seed);
  try {
    for (const shape of shapes) {
      const out = await measureShape(
        sockets,
        { name: shape.name, filter: () => shape.filter(sample, rand) },
        { count: opts.count, durationSec: opts.durationSec, timeoutMs: QUERY_TIMEOUT_MS },
        progress,
      );
      figures.push(...out.figures);
      if (out.issued < opts.count)
        notes.push(`${shape.name}: --duration stopped it after ${out.issued} queries`);
    }
  } finally {
    await closeAll(sockets);
  }
  notes.push(
    `values drawn from the newest ${sample.ids.length} stored events (${sample.pubkeys.length} authors)`,
  );
  return {
    scenario: 'req',
    params: { ...opts, shapes: shapes.map((s) => s.name).join(',') },
    figures,
    notes,
  };
}
