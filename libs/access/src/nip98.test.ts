import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeEventId } from '@nrelay/protocol';
import { getToken } from 'nostr-tools/nip98';
import { finalizeEvent, generateSecretKey, type NostrEvent } from 'nostr-tools/pure';
import {
  decodeAuthorization,
  type Nip98Expectation,
  sameResourceUrl,
  sha256Hex,
  verifyNip98,
} from './nip98.js';

const URL_ = 'https://relay.example.com/';
const BODY = JSON.stringify({ method: 'supportedmethods', params: [] });
const NOW = 1_750_000_000;
const sk = generateSecretKey();

function tokenOf(event: object): string {
  return `Nostr ${Buffer.from(JSON.stringify(event)).toString('base64')}`;
}

function authEvent(overrides: { tags?: string[][]; created_at?: number; kind?: number } = {}): NostrEvent {
  return finalizeEvent(
    {
      kind: overrides.kind ?? 27235,
      created_at: overrides.created_at ?? NOW,
      content: '',
      tags: overrides.tags ?? [
        ['u', URL_],
        ['method', 'POST'],
        ['payload', sha256Hex(BODY)],
      ],
    },
    sk,
  );
}

const expect = (over: Partial<Nip98Expectation> = {}): Nip98Expectation => ({
  url: URL_,
  method: 'POST',
  body: Buffer.from(BODY),
  now: NOW,
  ...over,
});

function reasonOf(header: string | undefined, over: Partial<Nip98Expectation> = {}): string {
  const result = verifyNip98(header, expect(over));
  assert.equal(result.ok, false, 'expected a refusal');
  return result.ok ? '' : result.reason;
}

describe('NIP-98 authorization', () => {
  it('accepts a valid event and names its signer', () => {
    const event = authEvent();
    const result = verifyNip98(tokenOf(event), expect());
    assert.deepEqual(result.ok && result.pubkey, event.pubkey);
  });

  it("accepts nostr-tools' getToken (lower-case method, payload hashed from the JSON)", async () => {
    const payload = { method: 'listbannedpubkeys', params: [] };
    const header = await getToken(URL_, 'post', (e) => finalizeEvent(e, sk), true, payload);
    const result = verifyNip98(
      header,
      expect({ body: Buffer.from(JSON.stringify(payload)), now: Math.floor(Date.now() / 1000) }),
    );
    assert.equal(result.ok, true, result.ok ? '' : result.reason);
  });

  it('refuses a missing header, another scheme, and a token that is not base64 JSON of an event', () => {
    assert.match(reasonOf(undefined), /missing Authorization/);
    assert.match(reasonOf(`Bearer ${tokenOf(authEvent()).slice(6)}`), /scheme must be Nostr/);
    assert.match(reasonOf('Nostr !!!notbase64'), /not base64 JSON/);
    assert.match(reasonOf(tokenOf({ hello: 'world' })), /authorization event: /);
    assert.match(reasonOf(`Nostr ${'A'.repeat(20_000)}`), /too long/);
  });

  it('refuses another kind, and an event outside the time window (both ways)', () => {
    assert.match(reasonOf(tokenOf(authEvent({ kind: 22242 }))), /kind 27235/);
    assert.match(reasonOf(tokenOf(authEvent({ created_at: NOW - 61 }))), /within 60 seconds/);
    assert.match(reasonOf(tokenOf(authEvent({ created_at: NOW + 61 }))), /within 60 seconds/);
    assert.equal(
      verifyNip98(tokenOf(authEvent({ created_at: NOW - 300 })), expect({ windowSeconds: 600 })).ok,
      true,
    );
  });

  it('refuses a u tag naming another URL, and a missing u tag', () => {
    const tags = (u: string) => [
      ['u', u],
      ['method', 'POST'],
      ['payload', sha256Hex(BODY)],
    ];
    assert.match(reasonOf(tokenOf(authEvent({ tags: tags('https://evil.example.com/') }))), /u tag/);
    assert.match(reasonOf(tokenOf(authEvent({ tags: tags('https://relay.example.com/admin') }))), /u tag/);
    assert.match(reasonOf(tokenOf(authEvent({ tags: tags('https://relay.example.com:8443/') }))), /u tag/);
    assert.match(
      reasonOf(
        tokenOf(
          authEvent({
            tags: [
              ['method', 'POST'],
              ['payload', sha256Hex(BODY)],
            ],
          }),
        ),
      ),
      /u tag/,
    );
    // Loose like NIP-42 relay URLs: scheme family, default port, case of the host, trailing slash.
    for (const u of [
      'wss://relay.example.com',
      'http://RELAY.example.com:80/',
      'https://relay.example.com:443',
    ]) {
      assert.equal(verifyNip98(tokenOf(authEvent({ tags: tags(u) })), expect()).ok, true, u);
    }
  });

  it('refuses another method and a missing or wrong payload hash', () => {
    const payloadTag = ['payload', sha256Hex(BODY)];
    assert.match(
      reasonOf(tokenOf(authEvent({ tags: [['u', URL_], ['method', 'GET'], payloadTag] }))),
      /method tag/,
    );
    assert.match(
      reasonOf(
        tokenOf(
          authEvent({
            tags: [
              ['u', URL_],
              ['method', 'POST'],
            ],
          }),
        ),
      ),
      /payload tag is required/,
    );
    assert.equal(
      verifyNip98(
        tokenOf(
          authEvent({
            tags: [
              ['u', URL_],
              ['method', 'POST'],
            ],
          }),
        ),
        expect({ requirePayload: false }),
      ).ok,
      true,
    );
    assert.match(
      reasonOf(tokenOf(authEvent()), { body: Buffer.from(`${BODY} `) }),
      /payload tag does not match/,
    );
  });

  it('refuses a tampered event: a changed field (bad id) or a re-hashed one (bad signature)', () => {
    const event = authEvent();
    const changed = { ...event, created_at: event.created_at + 1 };
    assert.match(reasonOf(tokenOf(changed)), /id does not match/);
    const rehashed = { ...changed, id: computeEventId(changed) };
    assert.match(reasonOf(tokenOf(rehashed)), /bad signature/);
  });

  it('decodes only the Nostr scheme, case-insensitively', () => {
    const event = authEvent();
    assert.equal((decodeAuthorization(tokenOf(event).replace('Nostr', 'nostr')) as NostrEvent).id, event.id);
    assert.ok(sameResourceUrl('ws://a.example/x/', 'http://a.example/x'));
    assert.ok(!sameResourceUrl('ws://a.example/x?y=1', 'http://a.example/x'));
    assert.ok(!sameResourceUrl('ftp://a.example/', 'http://a.example/'));
  });
});
