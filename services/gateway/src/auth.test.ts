import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawClient, signedRaw } from '@nrelay/testkit';
import { PUBKEY, startRelay } from './fixtures.js';
import { checkAuthEvent } from './handlers/auth.js';
import { relayUrlMatches } from './relay-url.js';

const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 100 - i);

async function challengeOf(client: RawClient): Promise<string> {
  const auth = await client.next((m) => m[0] === 'AUTH');
  return auth[1] as string;
}

function authEvent(
  challenge: string,
  relay = 'wss://relay.example.com/',
  over: { created_at?: number; kind?: number } = {},
  key?: Uint8Array,
) {
  return signedRaw(
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
    const note = signedRaw({ content: 'authed note' });
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
    client.sendJson(['AUTH', badSig]);
    for (const id of [...cases.map((c) => c.event.id), badSig.id]) {
      const ok = await client.next((m) => m[0] === 'OK' && m[1] === id);
      assert.equal(ok[2], false);
      assert.match(ok[3] as string, /^invalid: /);
    }
    const note = signedRaw({});
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
    const note = signedRaw({});
    client.send(`["EVENT",${note.raw}]`);
    const ok = await client.next((m) => m[0] === 'OK');
    assert.deepEqual(ok, ['OK', note.event.id, false, 'auth-required: sign in first']);
    assert.deepEqual(
      client.messages.map((m) => m[0]),
      ['AUTH', 'OK'],
    );
    // No RELAY_URL: the relay tag names the URL the client connected to.
    const auth = authEvent(client.messages[0]![1] as string, `ws://127.0.0.1:${relay.port}/`);
    client.send(`["AUTH",${auth.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === auth.event.id && m[2] === true);
    client.send(`["EVENT",${note.raw}]`);
    await client.next((m) => m[0] === 'OK' && m[1] === note.event.id && m[2] === true);
  } finally {
    await relay.close();
  }
});

test('checkAuthEvent: the relay tag is required and must name the expected URL; none known refuses', () => {
  const e = authEvent('c', 'wss://anything.example/').event;
  const now = e.created_at;
  const expect = { challenge: 'c', windowSeconds: 600, now };
  assert.equal(checkAuthEvent(e, { ...expect, relayUrl: 'ws://Anything.example:80' }), undefined);
  assert.equal(
    checkAuthEvent(e, { ...expect, relayUrl: undefined }),
    'invalid: relay tag does not match this relay',
  );
  assert.equal(
    checkAuthEvent(e, { ...expect, relayUrl: 'ws://127.0.0.1:7777' }),
    'invalid: relay tag does not match this relay',
  );
  const untagged = signedRaw({ kind: 22242, tags: [['challenge', 'c']] }).event;
  assert.equal(
    checkAuthEvent(untagged, { ...expect, relayUrl: 'wss://anything.example' }),
    'invalid: AUTH event must have a relay tag naming this relay',
  );
  assert.match(
    checkAuthEvent(e, { ...expect, relayUrl: 'wss://anything.example', now: now + 601 }) ?? '',
    /created_at/,
  );
});

// Issue 10, defect 7: with RELAY_URL unset any relay tag was accepted, so a relay the user
// signed in to could replay the AUTH event here.
test('RELAY_URL unset: AUTH must name the URL the client connected to (Host, or a trusted proxy)', async () => {
  const relay = await startRelay({ TRUSTED_PROXIES: [] });
  const clients: RawClient[] = [];
  const connect = async (headers?: Record<string, string>) => {
    const client = await RawClient.open(relay.url, headers === undefined ? {} : { headers });
    clients.push(client);
    return client;
  };
  try {
    const victim = await connect();
    const challenge = await challengeOf(victim);
    const replayed = authEvent(challenge, 'wss://malicious.example/');
    victim.send(`["AUTH",${replayed.raw}]`);
    const refused = await victim.next((m) => m[0] === 'OK' && m[1] === replayed.event.id);
    assert.deepEqual(refused, [
      'OK',
      replayed.event.id,
      false,
      'invalid: relay tag does not match this relay',
    ]);
    const untagged = signedRaw({ kind: 22242, tags: [['challenge', challenge]] });
    victim.send(`["AUTH",${untagged.raw}]`);
    const noTag = await victim.next((m) => m[0] === 'OK' && m[1] === untagged.event.id);
    assert.equal(noTag[2], false);
    const honest = authEvent(challenge, `ws://127.0.0.1:${relay.port}`);
    victim.send(`["AUTH",${honest.raw}]`);
    assert.deepEqual(await victim.next((m) => m[0] === 'OK' && m[1] === honest.event.id), [
      'OK',
      honest.event.id,
      true,
      '',
    ]);
    // X-Forwarded-Host counts only from a trusted proxy; none is trusted here.
    const forged = await connect({ 'X-Forwarded-Host': 'malicious.example' });
    const forgedAuth = authEvent(await challengeOf(forged), 'wss://malicious.example/');
    forged.send(`["AUTH",${forgedAuth.raw}]`);
    assert.equal((await forged.next((m) => m[0] === 'OK'))[2], false);
  } finally {
    for (const client of clients) client.ws.terminate();
    await relay.close();
  }
});

test('behind a trusted proxy the forwarded host is the URL the client connected to', async () => {
  const relay = await startRelay({ TRUSTED_PROXIES: ['127.0.0.1/32'] });
  let client: RawClient | undefined;
  try {
    client = await RawClient.open(relay.url, {
      headers: { 'X-Forwarded-Host': 'relay.example.com', 'X-Forwarded-Proto': 'https' },
    });
    const challenge = await challengeOf(client);
    const direct = authEvent(challenge, `ws://127.0.0.1:${relay.port}`);
    client.send(`["AUTH",${direct.raw}]`);
    assert.equal((await client.next((m) => m[0] === 'OK' && m[1] === direct.event.id))[2], false);
    const viaProxy = authEvent(challenge, 'wss://relay.example.com');
    client.send(`["AUTH",${viaProxy.raw}]`);
    assert.equal((await client.next((m) => m[0] === 'OK' && m[1] === viaProxy.event.id))[2], true);
  } finally {
    client?.ws.terminate();
    await relay.close();
  }
});

test('relayUrlMatches is loose about scheme, host case, default ports and trailing slashes', () => {
  assert.ok(relayUrlMatches('wss://Relay.Example.com', 'ws://relay.example.com/'));
  assert.ok(relayUrlMatches('wss://relay.example.com/', 'wss://relay.example.com:443'));
  assert.ok(relayUrlMatches('ws://localhost:7777', 'ws://LOCALHOST:7777/'));
  assert.ok(relayUrlMatches('wss://relay.example.com/nostr', 'wss://relay.example.com/nostr/'));
  assert.ok(!relayUrlMatches('wss://relay.example.com', 'wss://relay.example.org'));
  assert.ok(!relayUrlMatches('ws://localhost:7777', 'ws://localhost:7778'));
  assert.ok(!relayUrlMatches('wss://relay.example.com', 'not a url'));
  assert.ok(!relayUrlMatches(undefined, 'whatever'));
});
