/**
 * The data set of issue 12's read benchmark: kind-1 notes from a fixed pool of authors whose
 * keys are derived from a seed, ~300-byte content, and three tags each (`t` one of 100 values,
 * `p` a pool pubkey, `e` an earlier note of the set), created_at spread over a window ending now.
 */

import { createHash } from 'node:crypto';
import { seededRandom } from '@nrelay/protocol/testing';
import { getPublicKey } from 'nostr-tools/pure';
import type { Draft, Keys } from './events.js';

/** Settings of {@link readsDataSet}. */
export interface ReadsDataOptions {
  /** Notes in the set. */
  count: number;
  /** Authors in the key pool; notes go to them in turn. */
  authors: number;
  /** PRNG and key seed: the same seed gives the same keys and the same notes (given `now`). */
  seed: number;
  /** created_at of the newest note, Unix seconds. */
  now: number;
  /** Notes are spread evenly over [now - spanSeconds, now], oldest first. */
  spanSeconds: number;
}

/** The notes of the set (unsigned, oldest first) with their ids and the values queries use. */
export interface ReadsDataSet {
  keys: Keys;
  drafts: Draft[];
  /** `ids[i]` is the NIP-01 id of `drafts[i]`. */
  ids: string[];
  /** The 100 `t` values; note i carries `tValues[i % 100]`. */
  tValues: string[];
}

/** Distinct `t` values of the set (each on ~1 % of its notes, as in the shape (c)). */
export const READS_T_VALUES = 100;
/** Content length in bytes, give or take {@link CONTENT_JITTER}. */
const CONTENT_BYTES = 300;
const CONTENT_JITTER = 10;
const WORDS =
  'relay note stream read query index window gossip signal keys value fast slow build ship test open free time world morning sats zap'.split(
    ' ',
  );

/** `count` secret keys derived from `seed` (sha256 of a label), with their public keys. */
export function derivedKeys(seed: number, count: number): Keys {
  const keys: Keys = { secretKeys: [], pubkeys: [] };
  for (let i = 0; i < count; i++) {
    const sk = createHash('sha256').update(`nrelay bench reads ${seed} ${i}`).digest();
    keys.secretKeys.push(sk.toString('hex'));
    keys.pubkeys.push(getPublicKey(sk));
  }
  return keys;
}

/** The NIP-01 id of a note by `pubkey` (the signer computes the same from the same fields). */
export function eventId(pubkey: string, d: Omit<Draft, 'keyIndex'>): string {
  const serial = JSON.stringify([0, pubkey, d.created_at, d.kind, d.tags, d.content]);
  return createHash('sha256').update(serial).digest('hex');
}

/**
 * Builds the set. Ids are computed here, before signing, so each note's `e` tag can name an
 * earlier note of the set (the first note has no earlier one and carries only `t` and `p`).
 */
export function readsDataSet(opts: ReadsDataOptions): ReadsDataSet {
  if (opts.count < 1 || opts.authors < 1) throw new Error('the reads data set needs notes and authors');
  const rand = seededRandom(opts.seed);
  const keys = derivedKeys(opts.seed, opts.authors);
  const tValues = Array.from({ length: READS_T_VALUES }, (_, k) => `reads${String(k).padStart(2, '0')}`);
  const drafts: Draft[] = [];
  const ids: string[] = [];
  const start = opts.now - opts.spanSeconds;
  for (let i = 0; i < opts.count; i++) {
    const keyIndex = i % opts.authors;
    const tags = [
      ['t', tValues[i % READS_T_VALUES] as string],
      ['p', keys.pubkeys[Math.floor(rand() * opts.authors)] as string],
    ];
    if (i > 0) tags.push(['e', ids[Math.floor(rand() * i)] as string]);
    const created_at = Math.min(opts.now, start + Math.floor(((i + rand()) * opts.spanSeconds) / opts.count));
    const draft: Draft = { keyIndex, kind: 1, created_at, tags, content: content(rand) };
    drafts.push(draft);
    ids.push(eventId(keys.pubkeys[keyIndex] as string, draft));
  }
  return { keys, drafts, ids, tValues };
}

function content(rand: () => number): string {
  const target = CONTENT_BYTES - CONTENT_JITTER + Math.floor(rand() * (2 * CONTENT_JITTER + 1));
  let s = '';
  while (s.length < target) s += `${s === '' ? '' : ' '}${WORDS[Math.floor(rand() * WORDS.length)]}`;
  return s.slice(0, target);
}

/** `n` distinct items of `xs` (all of them when it has fewer), in random order. */
export function pickDistinct<T>(xs: readonly T[], n: number, rand: () => number): T[] {
  const pool = [...xs];
  const k = Math.min(n, pool.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j] as T, pool[i] as T];
  }
  return pool.slice(0, k);
}
