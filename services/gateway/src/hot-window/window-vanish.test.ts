import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotWindow } from './window.js';
import { ALICE, ANON, BOB, CAROL, emptyHotWindow, ev, feed, idsOf, NOW, OPTIONS } from './window-fixtures.js';

const all = (window: HotWindow) => idsOf(window.answer({}, ANON, NOW));
const vanish = (pubkey: string, created_at: number) =>
  ev({ pubkey, kind: 62, created_at, tags: [['relay', 'ALL_RELAYS']] });

describe('HotWindow: NIP-62 requests to vanish', () => {
  it('removes the author’s events up to the request and gift wraps to it, keeps the rest, keeps not the request', () => {
    const window = emptyHotWindow();
    const old = ev({ pubkey: ALICE, created_at: 100 });
    const profile = ev({ pubkey: ALICE, kind: 0, created_at: 110 });
    const deletion = ev({ pubkey: ALICE, kind: 5, created_at: 120, tags: [['e', BOB]] });
    const newer = ev({ pubkey: ALICE, created_at: 300 });
    const wrap = ev({ pubkey: BOB, kind: 1059, created_at: 150, tags: [['p', ALICE]] });
    const lateWrap = ev({ pubkey: BOB, kind: 1059, created_at: 250, tags: [['p', ALICE]] });
    const wrapToCarol = ev({ pubkey: BOB, kind: 1059, created_at: 150, tags: [['p', CAROL]] });
    const mention = ev({ pubkey: BOB, created_at: 150, tags: [['p', ALICE]] });
    feed(window, old, profile, deletion, newer, wrap, lateWrap, wrapToCarol, mention);
    assert.deepEqual(feed(window, vanish(ALICE, 200)), ['vanish']);
    // A second's ties in id order: wrapToCarol was made before mention.
    assert.deepEqual(all(window), [
      newer.event.id,
      lateWrap.event.id,
      wrapToCarol.event.id,
      mention.event.id,
    ]);
    assert.deepEqual(idsOf(window.answer({ kinds: [62] }, ANON, NOW)), []);
    // What the store refuses from now on, the window refuses too.
    assert.deepEqual(feed(window, ev({ pubkey: ALICE, created_at: 199 })), ['deleted']);
    const wrapAgain = ev({ pubkey: CAROL, kind: 1059, created_at: 180, tags: [['p', ALICE]] });
    assert.deepEqual(feed(window, wrapAgain), ['deleted']);
    assert.deepEqual(feed(window, ev({ pubkey: ALICE, created_at: 201 })), ['kept']);
  });

  it('remembers a request noted while cold: an event stored before it, published after, is refused', () => {
    const window = new HotWindow(OPTIONS);
    const late = ev({ pubkey: ALICE, created_at: 100 });
    assert.deepEqual(feed(window, vanish(ALICE, 200)), ['cold']);
    // The warm-up reads the store after the request: the late event is not in it.
    window.warm([], { complete: true });
    assert.deepEqual(feed(window, late), ['deleted']);
    assert.deepEqual(all(window), []);
  });
});
