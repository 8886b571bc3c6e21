import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PUBKEY, signEvent, startRelay, type TestClient } from './fixtures.js';
import { checkAuthEvent } from './handlers/auth.js';
import { relayUrlMatches } from './relay-url.js';

const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 100 - i);

async function challengeOf(client: TestClient): Promise<string> {
  const auth = await client.next((m) => m[0] === 'AUTH');
  return auth[1] as string;
}

function authEvent(
  challenge: string,
  relay = 'wss://relay.example.com/',
  over: { created_at?: number; kind?: number } = {},
  key?: Uint8Array,
) {
  return signEvent(
    {
      kind: over.kind ?? 22242,
      created_at: over.created_at,
      tags: [
        ['relay', relay],
        ['challenge', challenge],
      ],
    },
    key,
  );
}

test('AUTH success: challenge sent on connect, several pubkeys may authenticate, ingest sees them', async () => {
  const relay = await startRelay({ RELAY_URL: 'wss://Relay.Example.com' });
  try {
    const client = await relay.connect();
    const challenge = await challengeOf(client);
    assert.match(challenge, /^[0-9a-f]{32}$/);
    const first = authEvent(challenge, 'wss://relay.example.com:443/');
    client.send(`["AUTH",${first.raw}]`);
    assert.deepEqual(await client.next((m) => m[0] === 'OK' && m[1] === first.event.id), [
      'OK',
      first.event.id,
      true,
      '',
    ]);
    const second = authEvent(challenge, 'wss://relay.example.com', {}, OTHER_KEY);
    client.send(`["AUTH",${second.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === second.event.id && m[2] === true);
    const note = signEvent({ content: 'authed note' });
    client.send(`["EVENT",${note.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === note.event.id);
    assert.deepEqual(
      [...(relay.ingest.requests[0]?.authedPubkeys ?? [])].sort(),
      [PUBKEY, second.event.pubkey].sort(),
    );
  } finally {
    await relay.close();
  }
});

test('AUTH failures are OK false invalid and authenticate nobody', async () => {
  const relay = await startRelay({ RELAY_URL: 'wss://relay.example.com', AUTH_WINDOW_SECONDS: 60 });
  try {
    const client = await relay.connect();
    const challenge = await challengeOf(client);
    const now = Math.floor(Date.now() / 1000);
    const good = authEvent(challenge);
    const cases = [
      authEvent('wrong-challenge'),
      authEvent(challenge, 'wss://other.example.com/'),
      authEvent(challenge, undefined, { created_at: now - 3600 }),
      authEvent(challenge, undefined, { kind: 1 }),
    ];
    const badSig = {
      ...good.event,
      sig: good.event.sig.replace(/^./, good.event.sig[0] === '0' ? '1' : '0'),
    };
    for (const c of cases) client.send(`["AUTH",${c.raw}]`);
    client.send(['AUTH', badSig]);
    for (const id of [...cases.map((c) => c.event.id), badSig.id]) {
      const ok = await client.next((m) => m[0] === 'OK' && m[1] === id);
      assert.equal(ok[2], false);
      assert.match(ok[3] as string, /^invalid: /);
    }
    const note = signEvent({});
    client.send(`["EVENT",${note.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === note.event.id);
    assert.deepEqual(relay.ingest.requests[0]?.authedPubkeys, []);
  } finally {
    await relay.close();
  }
});

test('on-demand challenge: sent only when a hook answers auth-required', async () => {
  const relay = await startRelay(
    {},
    {
      authChallenge: 'on-demand',
      hooks: {
        rejectEvent: [
          (_event, conn) => (conn.authedPubkeys.size === 0 ? 'auth-required: sign in first' : undefined),
        ],
      },
    },
  );
  try {
    const client = await relay.connect();
    const note = signEvent({});
    client.send(`["EVENT",${note.raw}]`);
    const ok = await client.next((m) => m[0] === 'OK');
    assert.deepEqual(ok, ['OK', note.event.id, false, 'auth-required: sign in first']);
    assert.deepEqual(
      client.received.map((m) => m[0]),
      ['AUTH', 'OK'],
    );
    const auth = authEvent(client.received[0]![1] as string);
    client.send(`["AUTH",${auth.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === auth.event.id && m[2] === true);
    client.send(`["EVENT",${note.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === note.event.id && m[2] === true);
  } finally {
    await relay.close();
  }
});

test('checkAuthEvent accepts any relay tag when RELAY_URL is unset', () => {
  const e = authEvent('c', 'wss://anything.example/').event;
  const now = e.created_at;
  assert.equal(
    checkAuthEvent(e, { challenge: 'c', relayUrl: undefined, windowSeconds: 600, now }),
    undefined,
  );
  assert.match(
    checkAuthEvent(e, { challenge: 'c', relayUrl: undefined, windowSeconds: 600, now: now + 601 }) ?? '',
    /created_at/,
  );
});

test('relayUrlMatches is loose about scheme, host case, default ports and trailing slashes', () => {
  assert.ok(relayUrlMatches('wss://Relay.Example.com', 'ws://relay.example.com/'));
  assert.ok(relayUrlMatches('wss://relay.example.com/', 'wss://relay.example.com:443'));
  assert.ok(relayUrlMatches('ws://localhost:7777', 'ws://LOCALHOST:7777/'));
  assert.ok(relayUrlMatches('wss://relay.example.com/nostr', 'wss://relay.example.com/nostr/'));
  assert.ok(!relayUrlMatches('wss://relay.example.com', 'wss://relay.example.org'));
  assert.ok(!relayUrlMatches('ws://localhost:7777', 'ws://localhost:7778'));
  assert.ok(!relayUrlMatches('wss://relay.example.com', 'not a url'));
  assert.ok(relayUrlMatches(undefined, 'whatever'));
});
