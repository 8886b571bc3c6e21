import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { HLL_REGISTERS, hllAdd, hllHex, hllOffsetFor, type RawEvent } from '@nrelay/protocol';
import type { TestBackend, TestStore } from './backends.js';
import { ev } from './events.js';

const randomHex = () => randomBytes(32).toString('hex');

/** The registers of `pubkeys` at `offset`, computed in JS (protocol hll.ts, itself checked against nostr-tools). */
function registersOf(pubkeys: Iterable<string>, offset: number): string {
  const registers = new Uint8Array(HLL_REGISTERS);
  for (const pk of pubkeys) hllAdd(registers, pk, offset);
  return hllHex(registers);
}

/** Max per register of two `hll` values. */
function merge(a: string, b: string): string {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  for (let i = 0; i < x.length; i++) x[i] = Math.max(x[i] as number, y[i] as number);
  return x.toString('hex');
}

/** NIP-45 HLL counts: registers from the SQL equal the JS ones; two stores merge to their union. */
export function hllSuite(backend: TestBackend): void {
  describe(`event store: NIP-45 COUNT with HyperLogLog (${backend.name})`, () => {
    let a: TestStore;
    let b: TestStore;
    before(async () => {
      [a, b] = await Promise.all([backend.open(4), backend.open(4)]);
    });
    after(async () => {
      await Promise.all([a?.dispose(), b?.dispose()]);
    });

    it('counts and builds the registers of the matching events’ pubkeys, privacy applied', async () => {
      for (let round = 0; round < 5; round++) {
        const target = randomHex();
        const filter = { '#e': [target], kinds: [7] };
        const offset = hllOffsetFor([filter]) as number;
        const reactions = Array.from({ length: 1 + Math.floor(Math.random() * 600) }, () =>
          ev({ pubkey: randomHex(), kind: 7, tags: [['e', target]], id: randomHex() }),
        );
        // Noise: other kinds and targets, a second reaction of some pubkeys, a DM to hide.
        const noise: RawEvent[] = [
          ev({ pubkey: randomHex(), kind: 1, tags: [['e', target]], id: randomHex() }),
          ev({ pubkey: randomHex(), kind: 7, tags: [['e', randomHex()]], id: randomHex() }),
          ev({ pubkey: reactions[0]!.event.pubkey, kind: 7, tags: [['e', target]], id: randomHex() }),
        ];
        await a.store.save([...reactions, ...noise]);
        const counted = [...reactions.map((r) => r.event.pubkey), reactions[0]!.event.pubkey];
        const got = await a.store.countHll(filter, offset);
        assert.equal(got.count, counted.length);
        assert.equal(got.count, await a.store.count([filter]));
        assert.equal(got.hll, registersOf(counted, offset));
      }
      const dmTo = randomHex();
      const dm = ev({ pubkey: randomHex(), kind: 4, tags: [['p', dmTo]], id: randomHex() });
      await a.store.save([dm]);
      const dmFilter = { '#p': [dmTo], kinds: [4] };
      const offset = hllOffsetFor([dmFilter]) as number;
      const hidden = await a.store.countHll(dmFilter, offset, {
        viewer: { pubkeys: [], privilegedKinds: [4] },
      });
      assert.deepEqual(hidden, { count: 0, hll: registersOf([], offset) });
      const shown = await a.store.countHll(dmFilter, offset, {
        viewer: { pubkeys: [dmTo], privilegedKinds: [4] },
      });
      assert.deepEqual(shown, { count: 1, hll: registersOf([dm.event.pubkey], offset) });
    });

    it('two stores’ registers, merged, are the registers of their union', async () => {
      const followed = randomHex();
      const filter = { '#p': [followed], kinds: [3] };
      const offset = hllOffsetFor([filter]) as number;
      const onA: RawEvent[] = [];
      const onB: RawEvent[] = [];
      const everyone = new Set<string>();
      for (let i = 0; i < 800; i++) {
        const follow = ev({ pubkey: randomHex(), kind: 3, tags: [['p', followed]], id: randomHex() });
        everyone.add(follow.event.pubkey);
        const r = Math.random();
        if (r < 0.7) onA.push(follow);
        if (r > 0.3) onB.push(follow);
      }
      await Promise.all([a.store.save(onA), b.store.save(onB)]);
      const [fromA, fromB] = await Promise.all([
        a.store.countHll(filter, offset),
        b.store.countHll(filter, offset),
      ]);
      assert.equal(fromA.count + fromB.count >= everyone.size, true);
      assert.equal(merge(fromA.hll, fromB.hll), registersOf(everyone, offset));
    });
  });
}
