import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nip77 } from 'nostr-tools';
import { NegentropyItems, packItems } from './items.js';
import { NEGENTROPY_VERSION, reconcile } from './reconcile.js';
import { NegentropyError } from './wire.js';

type Item = readonly [number, string];
const { Negentropy, NegentropyStorageVector } = nip77;

/** A deterministic-enough random source for one test run (seeded by the test's index). */
function randomItems(n: number, maxTimestamp: number): Item[] {
  return Array.from({ length: n }, () => [
    Math.floor(Math.random() * maxTimestamp),
    randomBytes(32).toString('hex'),
  ]);
}

function clientStorage(items: readonly Item[]): nip77.NegentropyStorageVector {
  const storage = new NegentropyStorageVector();
  for (const [ts, id] of items) storage.insert(ts, id);
  storage.seal();
  return storage;
}

/**
 * Runs a whole sync: nostr-tools' initiator (a port of the reference) against our `reconcile`.
 * Returns what the client has that we lack, what it needs from us, and the number of rounds.
 */
function sync(client: readonly Item[], server: readonly Item[], frames: { client: number; server: number }) {
  const neg = new Negentropy(clientStorage(client), frames.client);
  const items = new NegentropyItems(packItems(server));
  const have = new Set<string>();
  const need = new Set<string>();
  let message: string | null = neg.initiate();
  let rounds = 0;
  while (message !== null) {
    rounds++;
    assert.ok(rounds < 200, 'the sync does not converge');
    const answer = reconcile(items, Buffer.from(message, 'hex'), frames.server);
    assert.ok(answer.length <= frames.server, `answer of ${answer.length} bytes over the frame limit`);
    message = neg.reconcile(
      Buffer.from(answer).toString('hex'),
      (id: string) => have.add(id),
      (id: string) => need.add(id),
    );
  }
  return { have, need, rounds };
}

function split(shared: number, clientOnly: number, serverOnly: number, maxTimestamp: number) {
  const common = randomItems(shared, maxTimestamp);
  const mine = randomItems(clientOnly, maxTimestamp);
  const theirs = randomItems(serverOnly, maxTimestamp);
  return {
    client: [...common, ...mine],
    server: [...common, ...theirs],
    have: new Set(mine.map(([, id]) => id)),
    need: new Set(theirs.map(([, id]) => id)),
  };
}

describe('negentropy reconcile (differential against nostr-tools nip77)', () => {
  const cases: Array<[string, number, number, number, number]> = [
    ['both empty', 0, 0, 0, 1000],
    ['client empty', 0, 0, 500, 1000],
    ['server empty', 0, 500, 0, 1000],
    ['identical', 2000, 0, 0, 1_000_000],
    ['small difference', 3000, 3, 5, 1_000_000],
    ['many ties (10 timestamps)', 1000, 300, 300, 10],
    ['all one timestamp', 400, 100, 100, 1],
    ['disjoint', 0, 1500, 1500, 100_000],
  ];
  for (const [name, shared, clientOnly, serverOnly, maxTs] of cases) {
    it(`finds exactly the differences: ${name}`, () => {
      const set = split(shared, clientOnly, serverOnly, maxTs);
      const result = sync(set.client, set.server, { client: 60_000, server: 60_000 });
      assert.deepEqual(result.have, set.have);
      assert.deepEqual(result.need, set.need);
    });
  }

  it('takes several rounds under small frame limits and still finds every difference', () => {
    for (let run = 0; run < 5; run++) {
      const set = split(1000, 3000, 3000, 50_000);
      const result = sync(set.client, set.server, { client: 4096, server: 4096 });
      assert.ok(result.rounds > 3, `only ${result.rounds} rounds`);
      assert.deepEqual(result.have, set.have);
      assert.deepEqual(result.need, set.need);
    }
  });

  it('computes the same fingerprints as nostr-tools on random ranges', () => {
    const items = randomItems(3000, 100);
    const theirs = clientStorage(items);
    const ours = new NegentropyItems(packItems(items));
    assert.equal(ours.size, theirs.size());
    for (let k = 0; k < 50; k++) {
      const a = Math.floor(Math.random() * 3000);
      const b = a + Math.floor(Math.random() * (3000 - a));
      assert.deepEqual(Buffer.from(ours.fingerprint(a, b)), Buffer.from(theirs.fingerprint(a, b)));
    }
  });

  it('sorts and deduplicates unordered records', () => {
    const items = new NegentropyItems(
      packItems([
        [5, 'bb'.repeat(32)],
        [5, 'aa'.repeat(32)],
        [5, 'bb'.repeat(32)],
        [1, 'ff'.repeat(32)],
      ]),
    );
    assert.equal(items.size, 3);
    assert.deepEqual(
      [0, 1, 2].map((i) => [items.timestamp(i), Buffer.from(items.id(i)).toString('hex').slice(0, 2)]),
      [
        [1, 'ff'],
        [5, 'aa'],
        [5, 'bb'],
      ],
    );
  });
});

describe('negentropy reconcile: versions and malformed messages', () => {
  const items = new NegentropyItems(packItems(randomItems(100, 1000)));

  it('answers another version in 0x60-0x6f with the single byte of V1', () => {
    assert.deepEqual([...reconcile(items, Uint8Array.of(0x62), 60_000)], [NEGENTROPY_VERSION]);
    assert.deepEqual([...reconcile(items, Uint8Array.of(0x6f, 1, 2, 3), 60_000)], [NEGENTROPY_VERSION]);
  });

  it('answers an empty V1 message with the version byte alone', () => {
    assert.deepEqual([...reconcile(items, Uint8Array.of(NEGENTROPY_VERSION), 60_000)], [NEGENTROPY_VERSION]);
  });

  it('any bytes: an answer within the frame limit, or NegentropyError, never another failure', () => {
    const big = new NegentropyItems(packItems(randomItems(5000, 50)));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.boolean(), (tail, v1) => {
        const message = v1 ? Uint8Array.of(NEGENTROPY_VERSION, ...tail) : tail;
        try {
          const answer = reconcile(big, message, 4096);
          assert.ok(answer.length >= 1 && answer.length <= 4096);
          assert.equal(answer[0], NEGENTROPY_VERSION);
        } catch (err) {
          assert.ok(err instanceof NegentropyError, String(err));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('a real message with bytes flipped or cut: the same rule', () => {
    const big = new NegentropyItems(packItems(randomItems(5000, 50)));
    const real = Buffer.from(new Negentropy(clientStorage(randomItems(3000, 50)), 4096).initiate(), 'hex');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(real.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(real.length),
        (flips, cut) => {
          const message = Uint8Array.from(real.subarray(0, Math.max(1, cut)));
          for (const [at, byte] of flips) if (at > 0 && at < message.length) message[at] = byte;
          try {
            assert.ok(reconcile(big, message, 4096).length <= 4096);
          } catch (err) {
            assert.ok(err instanceof NegentropyError, String(err));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses what is not a negentropy message', () => {
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(0x10),
      Uint8Array.of(NEGENTROPY_VERSION, 0),
      Uint8Array.of(NEGENTROPY_VERSION, 0, 0, 1, 1, 2),
      Uint8Array.of(NEGENTROPY_VERSION, 0, 33),
      Uint8Array.of(NEGENTROPY_VERSION, 0, 0, 7),
      Uint8Array.of(NEGENTROPY_VERSION, 0, 0, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
      Uint8Array.of(NEGENTROPY_VERSION, 0, 0, 2, 5, 1, 2, 3),
    ];
    for (const message of bad) assert.throws(() => reconcile(items, message, 60_000), NegentropyError);
  });
});
