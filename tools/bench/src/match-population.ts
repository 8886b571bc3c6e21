import type { Filter, NostrEvent } from '@nrelay/protocol';
import { seededRandom } from '@nrelay/protocol/testing';

/**
 * Live subscriptions for the `match` micro-benchmark: probe events that each match exactly
 * {@link MATCHES_PER_PROBE} subscriptions, among background subscriptions of a social client's
 * shapes (follow feeds, mentions, threads, id lookups, hashtags, broad kind-only feeds) that
 * match no probe. The probes' own subscriptions are the same whatever the population size, so
 * timing the same probes against a small and a large population shows what the index's size
 * alone costs.
 */

/** Subscriptions each probe event matches. */
export const MATCHES_PER_PROBE = 10;
/** `{kinds: [1]}` subscriptions shared by every probe (counted in its 10). */
const GLOBAL_FEEDS = 2;
/** Matching plus near-miss subscriptions planted for each probe. */
const PLANTED_PER_PROBE = 10;

/** A population of subscriptions (each a list of filters) and its probe events. */
export interface Population {
  subscriptions: Filter[][];
  probes: NostrEvent[];
}

/** Smallest population that can hold `probes` probes. */
export function minimumPopulation(probes: number): number {
  return GLOBAL_FEEDS + PLANTED_PER_PROBE * probes;
}

type Rand = () => number;

function hex64(r: Rand): string {
  let s = '';
  for (let i = 0; i < 8; i++)
    s += Math.floor(r() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return s;
}

function between(r: Rand, min: number, max: number): number {
  return min + Math.floor(r() * (max - min + 1));
}

/** Random draws from fixed pools, so popular keys are shared by many subscriptions. */
class Pools {
  readonly authors: string[];
  readonly events: string[];
  constructor(private readonly r: Rand) {
    this.authors = Array.from({ length: 20_000 }, () => hex64(r));
    this.events = Array.from({ length: 50_000 }, () => hex64(r));
  }
  author(): string {
    return this.authors[Math.floor(this.r() ** 1.5 * this.authors.length)] as string;
  }
  authorList(n: number): string[] {
    return Array.from({ length: n }, () => this.author());
  }
  event(): string {
    return this.events[Math.floor(this.r() * this.events.length)] as string;
  }
}

const HASHTAGS = ['nostr', 'bitcoin', 'art', 'music', 'dev', 'photography', 'memes', 'zap'];
const BROAD_KINDS = [0, 3, 30023, 9735, 10002];

/** One background subscription: a realistic shape that matches no probe (see the probes). */
function background(r: Rand, pools: Pools): Filter[] {
  const x = r();
  if (x < 0.45) return [{ kinds: [1, 6], authors: pools.authorList(between(r, 10, 50)), limit: 100 }];
  if (x < 0.65) return [{ kinds: [1, 6, 7, 9735], '#p': [pools.author()], limit: 50 }];
  if (x < 0.8) return [{ kinds: [1, 7], '#e': [pools.event()] }];
  if (x < 0.9) return [{ ids: Array.from({ length: between(r, 1, 5) }, () => pools.event()) }];
  if (x < 0.95) return [{ kinds: [1], '#t': [HASHTAGS[between(r, 0, HASHTAGS.length - 1)] as string] }];
  // Broad kind-only feeds, on kinds the probes (kind 1) do not have.
  return [{ kinds: [BROAD_KINDS[between(r, 0, BROAD_KINDS.length - 1)] as number], limit: 20 }];
}

/**
 * `size` subscriptions in random order, `probes` of whose events each match exactly
 * {@link MATCHES_PER_PROBE}: two global kind-1 feeds, three follow feeds that list its author,
 * three mention subscriptions of its `p` and two thread subscriptions of its root `e`. Each
 * probe also has two near misses (its author or its `p` with another kind) that the index
 * must test and reject. Probe keys are fresh, so no background subscription matches a probe.
 */
export function buildPopulation(size: number, probes: number, seed: number): Population {
  if (size < minimumPopulation(probes)) {
    throw new Error(`${size} subscriptions cannot hold ${probes} probes (need ${minimumPopulation(probes)})`);
  }
  // The probes come from their own generator so they are the same for every size.
  const pr = seededRandom(seed);
  const r = seededRandom(seed + 1);
  const pools = new Pools(r);
  const subscriptions: Filter[][] = [];
  for (let i = 0; i < GLOBAL_FEEDS; i++) subscriptions.push([{ kinds: [1], limit: 100 }]);
  const events: NostrEvent[] = [];
  for (let i = 0; i < probes; i++) {
    const author = hex64(pr);
    const mention = hex64(pr);
    const root = hex64(pr);
    events.push({
      id: hex64(pr),
      pubkey: author,
      created_at: 1_700_000_000 + i,
      kind: 1,
      tags: [
        ['e', root, '', 'root'],
        ['p', mention],
      ],
      content: `probe ${i}`,
      sig: '0'.repeat(128),
    });
    const follows = (): Filter[] => [
      { kinds: [1, 6], authors: [...pools.authorList(between(r, 10, 50)), author] },
    ];
    subscriptions.push(follows(), follows(), follows());
    subscriptions.push([{ kinds: [1, 7], '#p': [mention] }], [{ kinds: [1], '#p': [mention] }]);
    // A subscription with two filters, only one of which matches.
    subscriptions.push([
      { kinds: [7], '#p': [mention] },
      { kinds: [1, 6, 7], '#p': [mention] },
    ]);
    subscriptions.push([{ '#e': [root] }], [{ kinds: [1, 7], '#e': [root, pools.event()] }]);
    // Near misses: candidates through the author and the p tag, rejected on kind.
    subscriptions.push([{ kinds: [7], authors: [author] }], [{ kinds: [9735], '#p': [mention] }]);
  }
  while (subscriptions.length < size) subscriptions.push(background(r, pools));
  // Shuffle, so probe subscriptions are not all filed first.
  for (let i = subscriptions.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [subscriptions[i], subscriptions[j]] = [subscriptions[j] as Filter[], subscriptions[i] as Filter[]];
  }
  return { subscriptions, probes: events };
}
