import type { Filter, NostrEvent, RawEvent } from '@nrelay/protocol';
import { seededRandom } from '@nrelay/protocol/testing';
import { hex } from './window-fixtures.js';

/** The NIP-40 clock of the differential test: expirations lie around it. */
export const DIFF_NOW = 1_800_000_000;
/** Kind 4 (NIP-04 DMs) is privileged in the differential test. */
export const PRIVILEGED_KINDS = [4];
const PUBKEYS = [1, 2, 3, 4].map((n) => hex(n, 'f'));
/**
 * Kinds drawn with these weights: notes, replaceables, an addressable, deletions, DMs, gift
 * wraps, ephemeral; NIP-62 requests to vanish are drawn apart, rarely (each empties an author).
 */
const KINDS = [1, 1, 1, 1, 1, 7, 0, 0, 10002, 30023, 30023, 30023, 5, 5, 4, 4, 1059, 20001];
const FILTER_KINDS = [1, 7, 0, 10002, 30023, 5, 4, 1059];
const VANISH_RATE = 0.006;
const WORDS = ['a', 'b', 'c', 'nostr'];
const DS = ['', 'x', 'y'];

type Random = () => number;

const pick = <T>(rand: Random, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

/** 1..max distinct values of `xs`. */
function some<T>(rand: Random, xs: readonly T[], max: number): T[] {
  const n = 1 + Math.floor(rand() * Math.min(max, xs.length));
  const out = new Set<T>();
  while (out.size < n) out.add(pick(rand, xs));
  return [...out];
}

/** A unique id whose order is unrelated to arrival: 12 random hex digits, then the index. */
function randomId(rand: Random, index: number): string {
  const prefix = Math.floor(rand() * 2 ** 48)
    .toString(16)
    .padStart(12, '0');
  return prefix + hex(index).slice(12);
}

/** The tags of one random event of `kind` by `pubkey`, naming `ids` (recent ones, a few ahead). */
function tagsOf(rand: Random, kind: number, pubkey: string, ids: readonly string[]): string[][] {
  const tags: string[][] = [];
  const n = kind === 5 ? 1 + Math.floor(rand() * 3) : Math.floor(rand() * 4);
  for (let j = 0; j < n; j++) {
    const r = rand();
    if (kind === 5) {
      const owner = rand() < 0.8 ? pubkey : pick(rand, PUBKEYS);
      tags.push(
        r < 0.6
          ? ['e', pick(rand, ids)]
          : ['a', `${pick(rand, [0, 10002, 30023])}:${owner}:${pick(rand, DS)}`],
      );
    } else if (r < 0.2) tags.push(['e', pick(rand, ids)]);
    else if (r < 0.45) tags.push(['p', pick(rand, PUBKEYS)]);
    else if (r < 0.75) tags.push(['t', pick(rand, WORDS)]);
    else tags.push(['expiration', String(DIFF_NOW + Math.floor(rand() * 24) - 12)]);
  }
  if (kind === 4 || kind === 1059) tags.push(['p', pick(rand, PUBKEYS)]);
  if (kind === 62) tags.push(['relay', 'ALL_RELAYS']);
  if (kind === 30023 && rand() < 0.85) tags.push(['d', pick(rand, DS)]);
  return tags;
}

/**
 * A seeded stream of `size` events as clients would send them: few authors and tag values,
 * a clock that ticks by 0 or 1 (many created_at ties), backdated events (up to a minute back),
 * replaceable and addressable versions, NIP-09 requests by `e` (of earlier events, of others'
 * events, of ids that arrive later) and by `a`, kind-4 DMs and gift wraps with a `p` tag, a few
 * NIP-62 requests to vanish (some backdated), expirations around
 * DIFF_NOW, ephemeral events and re-sent duplicates. Content lengths vary, so costs do.
 */
export function eventStream(seed: number, size: number): RawEvent[] {
  const rand = seededRandom(seed);
  const ids = Array.from({ length: size }, (_, i) => randomId(rand, i));
  const out: RawEvent[] = [];
  let clock = 1_000;
  for (let i = 0; i < size; i++) {
    if (out.length > 0 && rand() < 0.05) {
      out.push(pick(rand, out));
      continue;
    }
    clock += rand() < 0.5 ? 0 : 1;
    const pubkey = pick(rand, PUBKEYS);
    const kind = rand() < VANISH_RATE ? 62 : pick(rand, KINDS);
    const event: NostrEvent = {
      // Ids are unique per event, as real (hashed) ids are; requests name a few ids ahead.
      id: ids[i] as string,
      pubkey,
      created_at: rand() < 0.15 ? clock - Math.floor(rand() * 60) : clock,
      kind,
      tags: tagsOf(rand, kind, pubkey, ids.slice(Math.max(0, i - 40), i + 5)),
      content: 'c'.repeat(Math.floor(rand() * 300)),
      sig: '0'.repeat(128),
    };
    out.push({ event, raw: JSON.stringify(event) });
  }
  return out;
}

/** The viewers every filter is asked for: anonymous, one author, a p-tagged pair. */
export const VIEWERS: ReadonlyArray<{ readonly pubkeys: readonly string[] }> = [
  { pubkeys: [] },
  { pubkeys: [PUBKEYS[0] as string] },
  { pubkeys: [PUBKEYS[1] as string, PUBKEYS[2] as string] },
];

/**
 * A random filter over the stream's values: ids (some unknown), authors, kinds, `#t` `#p`
 * `#e` `#d`, since/until inside [from, to] (biased to the newest seconds, which the window
 * holds), and a limit from 0 to 40 or none.
 */
export function randomFilter(rand: Random, ids: readonly string[], from: number, to: number): Filter {
  const filter: Filter = {};
  const time = () =>
    rand() < 0.6 ? to - Math.floor(rand() * 30) : from + Math.floor(rand() * (to - from + 1));
  if (rand() < 0.15) filter.ids = some(rand, [...ids.slice(-60), hex(0xfeed)], 5);
  if (rand() < 0.35) filter.authors = some(rand, PUBKEYS, 2);
  if (rand() < 0.4) filter.kinds = some(rand, FILTER_KINDS, 3);
  if (rand() < 0.15) filter['#t'] = some(rand, WORDS, 2);
  if (rand() < 0.1) filter['#p'] = some(rand, PUBKEYS, 2);
  if (rand() < 0.08) filter['#e'] = some(rand, ids.slice(-80), 3);
  if (rand() < 0.08) filter['#d'] = some(rand, DS, 2);
  if (rand() < 0.35) filter.since = time();
  if (rand() < 0.2) filter.until = time();
  if (rand() < 0.7) filter.limit = Math.floor(rand() * 41);
  return filter;
}
