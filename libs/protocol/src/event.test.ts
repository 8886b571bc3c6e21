import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  finalizeEvent,
  generateSecretKey,
  getEventHash,
  serializeEvent as ntSerialize,
} from 'nostr-tools/pure';
import {
  computeEventId,
  hasValidId,
  hexToBytes,
  nobleVerifier,
  type SignatureVerifier,
  serializeEvent,
  verifyEvent,
} from './event.js';
import type { NostrEvent } from './types.js';

/** An event signed by nostr-tools (not `@nrelay/testkit`, which depends on this package). */
function sign(content: string, tags: string[][] = [], kind = 1, created_at = 1700000000): NostrEvent {
  const { id, pubkey, sig } = finalizeEvent({ kind, created_at, tags, content }, generateSecretKey());
  return { id, pubkey, created_at, kind, tags, content, sig };
}

const tricky = [
  '',
  'plain',
  'emoji 🤙🏽 and ünïcödé',
  'quotes " and \\ backslash',
  'ctl \n\t\r\b\f \u0001 \u001f',
  '\u2028\u2029',
  '</script>',
];

describe('serializeEvent and computeEventId', () => {
  it('matches a fixed vector', () => {
    const event = {
      pubkey: '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798',
      created_at: 1700000000,
      kind: 1,
      tags: [['t', 'nostr']],
      content: 'hello',
    };
    assert.equal(
      serializeEvent(event),
      '[0,"79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798",1700000000,1,[["t","nostr"]],"hello"]',
    );
    assert.equal(computeEventId(event), getEventHash(event));
    // sha256sum of the serialization above, computed outside Node.
    assert.equal(computeEventId(event), 'ad323a4e58f417eab1918be103889ee951f7bb23f69e62d767d183eca4f64434');
  });

  it('agrees with nostr-tools on tricky content and tags', () => {
    for (const content of tricky) {
      const event = sign(content, [
        ['t', content],
        ['e', 'x', '', content],
      ]);
      assert.equal(serializeEvent(event), ntSerialize(event));
      assert.equal(computeEventId(event), event.id);
      assert.ok(hasValidId(event));
    }
  });
});

describe('verifyEvent', () => {
  const events = tricky.map((content, i) => sign(content, [['p', 'a'.repeat(64)]], i * 1000, 1600000000 + i));

  it('accepts events signed by nostr-tools', () => {
    for (const event of events) assert.equal(verifyEvent(event), 'ok');
  });

  it('catches changed content, tags and created_at as bad-id', () => {
    for (const event of events) {
      assert.equal(verifyEvent({ ...event, content: event.content + ' ' }), 'bad-id');
      assert.equal(verifyEvent({ ...event, tags: [['p', 'b'.repeat(64)]] }), 'bad-id');
      assert.equal(verifyEvent({ ...event, tags: [...event.tags, ['t', 'x']] }), 'bad-id');
      assert.equal(verifyEvent({ ...event, created_at: event.created_at + 1 }), 'bad-id');
      assert.equal(verifyEvent({ ...event, kind: event.kind + 1 }), 'bad-id');
    }
  });

  it('catches a wrong id as bad-id', () => {
    const [a, b] = events as [NostrEvent, NostrEvent];
    assert.equal(verifyEvent({ ...a, id: b.id }), 'bad-id');
    assert.equal(verifyEvent({ ...a, id: '0'.repeat(64) }), 'bad-id');
  });

  it('catches a flipped signature byte as bad-sig', () => {
    for (const event of events) {
      for (const position of [0, 63, 64, 127]) {
        const flipped = ((Number.parseInt(event.sig[position] as string, 16) ^ 1) >>> 0).toString(16);
        const sig = event.sig.slice(0, position) + flipped + event.sig.slice(position + 1);
        assert.equal(verifyEvent({ ...event, sig }), 'bad-sig', `position ${position}`);
      }
    }
  });

  it('catches a re-hashed forgery (valid id, signature over another id) as bad-sig', () => {
    for (const event of events) {
      const forged = { ...event, content: 'forged' };
      forged.id = computeEventId(forged);
      assert.equal(verifyEvent(forged), 'bad-sig');
      const other = {
        ...event,
        pubkey:
          (events[0] as NostrEvent).pubkey === event.pubkey
            ? 'c'.repeat(64)
            : (events[0] as NostrEvent).pubkey,
      };
      other.id = computeEventId(other);
      assert.equal(verifyEvent(other), 'bad-sig');
    }
  });

  it('uses the given verifier after the id check', () => {
    const calls: string[] = [];
    const never: SignatureVerifier = {
      name: 'never',
      verify: (e) => {
        calls.push(e.id);
        return false;
      },
    };
    const event = events[0] as NostrEvent;
    assert.equal(verifyEvent(event, never), 'bad-sig');
    assert.equal(verifyEvent({ ...event, content: 'x' }, never), 'bad-id');
    assert.deepEqual(calls, [event.id]);
  });

  it('nobleVerifier returns false on malformed hex instead of throwing', () => {
    const event = events[0] as NostrEvent;
    assert.equal(nobleVerifier.verify({ ...event, sig: 'zz' + event.sig.slice(2) }), false);
    assert.equal(nobleVerifier.verify({ ...event, sig: event.sig.slice(2) }), false);
    assert.equal(nobleVerifier.verify({ ...event, pubkey: 'f'.repeat(64) }), false);
    assert.equal(nobleVerifier.verify(event), true);
  });
});

describe('hexToBytes', () => {
  it('decodes like Buffer and rejects bad input', () => {
    const hex = '00ff10a5c3' + 'deadBEEF';
    assert.deepEqual(hexToBytes(hex), new Uint8Array(Buffer.from(hex, 'hex')));
    assert.deepEqual(hexToBytes(''), new Uint8Array(0));
    for (const bad of ['abc', 'zz', '0g', '\u0100\u0100', ' 0'])
      assert.equal(hexToBytes(bad), undefined, bad);
  });
});
