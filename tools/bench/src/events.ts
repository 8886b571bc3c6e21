/**
 * Realistic event drafts: a few thousand authors with skewed activity, kinds 1/7/6/0/3/30023,
 * and p/e/t tags, from a seeded generator so a run can be repeated.
 */

import { seededRandom } from '@nrelay/protocol/testing';

/** Secret keys (hex) and their public keys, index-aligned. */
export interface Keys {
  secretKeys: string[];
  pubkeys: string[];
}

/** An unsigned event; `keyIndex` names its author in a {@link Keys}. */
export interface Draft {
  keyIndex: number;
  kind: number;
  created_at: number;
  tags: string[][];
  content: string;
}

/** A signed (or, for direct database seeding, id-only) event with its exact JSON text. */
export interface SignedEvent {
  id: string;
  pubkey: string;
  kind: number;
  created_at: number;
  tags: string[][];
  content: string;
  raw: string;
}

/** `realistic`: the kind mix of a social relay; `notes`: kind-1 notes only. */
export type EventMix = 'realistic' | 'notes';

/** Settings of an {@link EventGenerator}. */
export interface GeneratorOptions {
  /** Number of authors; drafts reference `keyIndex` in [0, authors). */
  authors: number;
  /** Public keys of the authors, used for `p` tags. */
  pubkeys: readonly string[];
  mix: EventMix;
  /** PRNG seed; the same seed gives the same drafts. */
  seed: number;
  /** created_at of the newest draft, Unix seconds. */
  now: number;
  /** Drafts are spread over [now - spanSeconds, now]; 0 puts every draft at `now`. */
  spanSeconds: number;
  /** A `t` tag added to every draft, to tell this run's events from others. */
  runTag?: string;
  /** Authors take turns (0, 1, 2, …) instead of a few authors writing most events. */
  roundRobin?: boolean;
}

const HASHTAGS = [
  'nostr',
  'bitcoin',
  'zap',
  'grownostr',
  'art',
  'music',
  'photography',
  'plebchain',
  'coffee',
  'foodstr',
  'dev',
  'linux',
  'privacy',
  'memes',
  'books',
  'running',
  'travel',
  'science',
  ...Array.from({ length: 182 }, (_, i) => `topic${i}`),
];
const WORDS =
  'the a relay note event key post reply zap sats good morning gm pura vida today time world build ship code test fast slow open free keys value signal'.split(
    ' ',
  );

/** Produces drafts one at a time; replaceable kinds are emitted at most once per author. */
export class EventGenerator {
  private readonly rand: () => number;
  private readonly hasMetadata = new Set<number>();
  private readonly hasContacts = new Set<number>();
  private articles = 0;
  private drafts = 0;

  constructor(private readonly opts: GeneratorOptions) {
    if (opts.authors < 1 || opts.pubkeys.length < opts.authors) {
      throw new Error('EventGenerator needs at least one author with a public key');
    }
    this.rand = seededRandom(opts.seed);
  }

  /** The next draft. */
  next(): Draft {
    const author = this.opts.roundRobin ? this.drafts % this.opts.authors : this.pick(this.opts.authors, 2);
    this.drafts++;
    const created_at = this.opts.now - Math.floor(this.rand() * this.opts.spanSeconds);
    const draft = this.opts.mix === 'notes' ? this.note(author, created_at) : this.mixed(author, created_at);
    if (this.opts.runTag !== undefined) draft.tags.push(['t', this.opts.runTag]);
    return draft;
  }

  /** `count` drafts. */
  take(count: number): Draft[] {
    return Array.from({ length: count }, () => this.next());
  }

  private mixed(keyIndex: number, created_at: number): Draft {
    const r = this.rand();
    if (r < 0.04 && !this.hasMetadata.has(keyIndex)) {
      this.hasMetadata.add(keyIndex);
      const name = `user${keyIndex}`;
      const content = JSON.stringify({
        name,
        about: this.sentence(12),
        picture: `https://example.com/${name}.png`,
      });
      return { keyIndex, kind: 0, created_at, tags: [], content };
    }
    if (r < 0.1 && !this.hasContacts.has(keyIndex)) {
      this.hasContacts.add(keyIndex);
      const follows = 20 + Math.floor(this.rand() * 180);
      return { keyIndex, kind: 3, created_at, tags: this.pTags(follows), content: '' };
    }
    if (r < 0.14) {
      const tags = [['d', `article-${this.articles++}`], ['title', this.sentence(6)], ...this.tTags(1, 4)];
      return {
        keyIndex,
        kind: 30023,
        created_at,
        tags,
        content: this.sentence(200 + Math.floor(this.rand() * 500)),
      };
    }
    if (r < 0.2) {
      return { keyIndex, kind: 6, created_at, tags: [['e', this.hex64()], ...this.pTags(1)], content: '' };
    }
    if (r < 0.38) {
      const content = this.rand() < 0.8 ? '+' : '🤙';
      return { keyIndex, kind: 7, created_at, tags: [['e', this.hex64()], ...this.pTags(1)], content };
    }
    return this.note(keyIndex, created_at);
  }

  private note(keyIndex: number, created_at: number): Draft {
    const tags: string[][] = [];
    if (this.rand() < 0.25) {
      tags.push(['e', this.hex64(), '', 'root'], ['e', this.hex64(), '', 'reply']);
      tags.push(...this.pTags(1 + Math.floor(this.rand() * 3)));
    }
    if (this.rand() < 0.3) tags.push(...this.tTags(1, 3));
    return { keyIndex, kind: 1, created_at, tags, content: this.sentence(4 + Math.floor(this.rand() * 40)) };
  }

  /** An index in [0, n), skewed towards 0 by `power` (1 = uniform). */
  private pick(n: number, power: number): number {
    return Math.min(n - 1, Math.floor(n * this.rand() ** power));
  }

  private pTags(count: number): string[][] {
    const keys = this.opts.pubkeys;
    return Array.from({ length: count }, () => ['p', keys[this.pick(keys.length, 1.5)] as string]);
  }

  private tTags(min: number, max: number): string[][] {
    const count = min + Math.floor(this.rand() * (max - min + 1));
    const set = new Set<string>();
    for (let i = 0; i < count; i++) set.add(HASHTAGS[this.pick(HASHTAGS.length, 3)] as string);
    return [...set].map((t) => ['t', t]);
  }

  private sentence(words: number): string {
    const out: string[] = [];
    for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(this.rand() * WORDS.length)] as string);
    return out.join(' ');
  }

  private hex64(): string {
    let s = '';
    for (let i = 0; i < 8; i++)
      s += Math.floor(this.rand() * 2 ** 32)
        .toString(16)
        .padStart(8, '0');
    return s;
  }
}
