import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseClientMessage, verifyEvent } from '@nrelay/protocol';
import { eventWithoutPow, keysOf, mineEvent, newKeys, signEvent, signedRaw, TEST_KEYS } from './events.js';

describe('signedRaw and signEvent', () => {
  it('sign with the fixed test key by default, and the text is the event', () => {
    const { event, raw } = signedRaw({ kind: 7, tags: [['e', 'x']], content: 'hi' });
    assert.equal(event.pubkey, TEST_KEYS.pk);
    assert.equal(event.pubkey, keysOf(Uint8Array.from({ length: 32 }, (_, i) => i + 1)).pk);
    assert.deepEqual(JSON.parse(raw), event);
    assert.deepEqual(Object.keys(event).sort(), [
      'content',
      'created_at',
      'id',
      'kind',
      'pubkey',
      'sig',
      'tags',
    ]);
    assert.equal(verifyEvent(event), 'ok');
  });

  it('signEvent signs with the given keys and gives each note its own content', () => {
    const keys = newKeys();
    const a = signEvent(keys);
    const b = signEvent(keys);
    assert.equal(a.pubkey, keys.pk);
    assert.notEqual(a.content, b.content);
    assert.equal(verifyEvent(a), 'ok');
    assert.equal(signEvent(keys, { content: 'fixed', created_at: 5 }).content, 'fixed');
  });

  it('mines to the asked difficulty, or stays below it', () => {
    const keys = newKeys();
    const mined = mineEvent(keys, { created_at: 1_700_000_000 }, 8);
    assert.ok(mined.id.startsWith('00'), mined.id);
    assert.equal(mined.created_at, 1_700_000_000);
    assert.ok(!eventWithoutPow(keys, 4).id.startsWith('0'));
  });

  it('the relay parser hands back the same RawEvent', () => {
    const signed = signedRaw({ content: 'same text' });
    const parsed = parseClientMessage(`["EVENT",${signed.raw}]`);
    assert.deepEqual(parsed, { ok: true, message: ['EVENT', signed] });
  });
});
