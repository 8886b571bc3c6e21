import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { type AccessState, EMPTY_ACCESS_STATE, proxyV1Header, proxyV2Header, REASONS } from '@nrelay/access';
import { loadConfig } from '@nrelay/config';
import type { RawEvent } from '@nrelay/protocol';
import { type Message, type RawClient, signedRaw } from '@nrelay/testkit';
import { WebSocket } from 'ws';
import { PUBKEY, sleep, startRelay, type TestRelay } from '../fixtures.js';
import type { ConnectionInfo } from '../hooks.js';
import { accessAuthChallenge, createAccessHooks } from './hooks.js';

const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 100 - i);
const THIRD_KEY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const OTHER = signedRaw({}, OTHER_KEY).event.pubkey;

/** A gateway whose hooks are the built-in access hooks for `settings`; records connections. */
async function accessRelay(settings: Record<string, unknown> = {}, state: AccessState = EMPTY_ACCESS_STATE) {
  const config = loadConfig({}, settings);
  const connections: ConnectionInfo[] = [];
  const hooks = createAccessHooks(config, state);
  const relay = await startRelay(settings, {
    hooks: { ...hooks, onConnect: [(conn) => connections.push(conn)] },
    authChallenge: accessAuthChallenge(config),
  });
  relay.query.autoEnd = true;
  return Object.assign(relay, { connections });
}

/** Answers the connection's challenge (waiting for it) as the key's pubkey. */
async function authenticate(client: RawClient, key?: Uint8Array): Promise<void> {
  const challenge = (await client.next((m) => m[0] === 'AUTH'))[1] as string;
  const tags = [
    ['relay', client.ws.url],
    ['challenge', challenge],
  ];
  const auth = signedRaw({ kind: 22242, tags }, key);
  client.send(`["AUTH",${auth.raw}]`);
  const ok = await client.next((m) => m[0] === 'OK' && m[1] === auth.event.id);
  assert.equal(ok[2], true, JSON.stringify(ok));
}

async function okOf(client: RawClient, raw: RawEvent): Promise<Message> {
  const from = client.mark();
  client.send(`["EVENT",${raw.raw}]`);
  return client.next((m) => m[0] === 'OK' && m[1] === raw.event.id, from);
}

async function reqEnd(client: RawClient, subId: string, ...filters: unknown[]): Promise<Message> {
  const from = client.mark();
  client.sendJson(['REQ', subId, ...filters]);
  return client.next((m) => (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === subId, from);
}

/** Opens a WebSocket with `options`; resolves with 101 or the refusal's status. */
function upgradeStatus(
  port: number,
  options: ConstructorParameters<typeof WebSocket>[2] = {},
): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, options);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', () => resolve(0));
  });
}

/** A WebSocket whose TCP connection starts with `header` (a PROXY protocol header). */
function viaProxy(port: number, header: Buffer): Promise<number> {
  return upgradeStatus(port, {
    createConnection: () => {
      const socket = connect(port, '127.0.0.1');
      socket.write(header);
      return socket;
    },
  });
}

async function withRelay(relay: TestRelay, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    await relay.close();
  }
}

describe('access hooks: client IP and IP lists', () => {
  it('IP_DENY and IP_ALLOW refuse the upgrade with 403', async () => {
    const denied = await accessRelay({ IP_DENY: ['127.0.0.1/32'] });
    await withRelay(denied, async () => {
      assert.equal(await upgradeStatus(denied.port), 403);
      assert.equal(denied.connections.length, 0);
    });
    const notAllowed = await accessRelay({ IP_ALLOW: ['10.0.0.0/8'] });
    await withRelay(notAllowed, async () => assert.equal(await upgradeStatus(notAllowed.port), 403));
    const allowed = await accessRelay({ IP_ALLOW: ['127.0.0.0/8'], IP_DENY: ['10.0.0.0/8'] });
    await withRelay(allowed, async () => assert.equal(await upgradeStatus(allowed.port), 101));
  });

  it('state.isIpBlocked (NIP-86 blockip) refuses too', async () => {
    const state: AccessState = { ...EMPTY_ACCESS_STATE, isIpBlocked: (ip) => ip === '203.0.113.8' };
    const relay = await accessRelay({}, state);
    await withRelay(relay, async () => {
      const headers = { 'X-Forwarded-For': '203.0.113.8' };
      assert.equal(await upgradeStatus(relay.port, { headers }), 403);
      assert.equal(await upgradeStatus(relay.port, { headers: { 'X-Forwarded-For': '203.0.113.9' } }), 101);
    });
  });

  it('ConnectionInfo.ip: the right-most untrusted X-Forwarded-For hop behind a trusted peer', async () => {
    const relay = await accessRelay({ IP_DENY: ['198.51.100.0/24'] });
    await withRelay(relay, async () => {
      const headers = { 'X-Forwarded-For': '198.51.100.1, 203.0.113.5' };
      assert.equal(await upgradeStatus(relay.port, { headers }), 101, 'a spoofed left hop is ignored');
      assert.equal(await upgradeStatus(relay.port, { headers: { 'X-Forwarded-For': '198.51.100.1' } }), 403);
      assert.equal(relay.connections[0]?.ip, '203.0.113.5');
    });
    const untrusting = await accessRelay({ TRUSTED_PROXIES: [], IP_DENY: ['198.51.100.0/24'] });
    await withRelay(untrusting, async () => {
      const headers = { 'X-Forwarded-For': '198.51.100.1' };
      assert.equal(
        await upgradeStatus(untrusting.port, { headers }),
        101,
        'no trusted proxy: header ignored',
      );
      assert.equal(untrusting.connections[0]?.ip, '127.0.0.1');
    });
  });

  it('PROXY_PROTOCOL: v1 and v2 headers give the client IP (and IP_DENY applies to it)', async () => {
    const relay = await accessRelay({ PROXY_PROTOCOL: true, IP_DENY: ['198.51.100.66/32'] });
    await withRelay(relay, async () => {
      assert.equal(
        await viaProxy(relay.port, proxyV1Header('203.0.113.61', 1, '127.0.0.1', relay.port)),
        101,
      );
      assert.equal(await viaProxy(relay.port, proxyV2Header('2001:db8::62', 1, '::1', relay.port)), 101);
      assert.equal(
        await viaProxy(relay.port, proxyV2Header('198.51.100.66', 1, '127.0.0.1', relay.port)),
        403,
      );
      assert.equal(await upgradeStatus(relay.port), 101, 'a trusted peer may skip the header');
      assert.deepEqual(
        relay.connections.map((c) => c.ip),
        ['203.0.113.61', '2001:db8::62', '127.0.0.1'],
      );
      const info = await fetch(`http://127.0.0.1:${relay.port}/`, {
        headers: { Accept: 'application/nostr+json' },
      });
      assert.equal(info.status, 200, 'HTTP (NIP-11) still served through the PROXY listener');
    });
  });

  it('PROXY_PROTOCOL: headers from an untrusted peer are not parsed', async () => {
    const relay = await accessRelay({ PROXY_PROTOCOL: true, TRUSTED_PROXIES: ['10.0.0.0/8'] });
    await withRelay(relay, async () => {
      assert.notEqual(
        await viaProxy(relay.port, proxyV1Header('203.0.113.61', 1, '127.0.0.1', relay.port)),
        101,
      );
      assert.equal(relay.connections.length, 0);
    });
  });
});

describe('access hooks: modes, NIP-70, privileged REQs', () => {
  it('auth-all: REQ, COUNT and EVENT need authentication; challenge on connect', async () => {
    const relay = await accessRelay({ ACCESS_MODE: 'auth-all' });
    await withRelay(relay, async () => {
      const client = await relay.connect();
      await client.next((m) => m[0] === 'AUTH');
      assert.deepEqual(await reqEnd(client, 'r', { kinds: [1] }), ['CLOSED', 'r', REASONS.authToRead]);
      client.sendJson(['COUNT', 'c', { kinds: [1] }]);
      assert.deepEqual(await client.next((m) => m[1] === 'c'), ['CLOSED', 'c', REASONS.authToRead]);
      const note = signedRaw({ content: 'hi' });
      assert.deepEqual(await okOf(client, note), ['OK', note.event.id, false, REASONS.authToWrite]);
      assert.equal(relay.ingest.requests.length, 0);
      await authenticate(client);
      assert.equal((await reqEnd(client, 'r2', { kinds: [1] }))[0], 'EOSE');
      assert.equal((await okOf(client, signedRaw({ content: 'authed' })))[2], true);
    });
  });

  it('allowlist: only admins (and allowed pubkeys) read; writes follow the author', async () => {
    const state: AccessState = {
      ...EMPTY_ACCESS_STATE,
      levelOf: (pk) => (pk === OTHER ? 'write' : undefined),
    };
    const relay = await accessRelay({ ACCESS_MODE: 'allowlist', ADMIN_PUBKEYS: [PUBKEY] }, state);
    await withRelay(relay, async () => {
      const client = await relay.connect();
      const stranger = signedRaw({ content: 'who?' }, THIRD_KEY);
      assert.deepEqual(await okOf(client, stranger), [
        'OK',
        stranger.event.id,
        false,
        REASONS.notAllowedAuthor,
      ]);
      assert.equal((await okOf(client, signedRaw({ content: 'allowed author' }, OTHER_KEY)))[2], true);
      await authenticate(client, THIRD_KEY);
      assert.deepEqual(await reqEnd(client, 'r', {}), ['CLOSED', 'r', REASONS.notAllowedReader]);
      await authenticate(client);
      assert.equal((await reqEnd(client, 'r', {}))[0], 'EOSE');
    });
  });

  it('NIP-70: a protected event only from its authenticated author; on-demand challenge', async () => {
    const relay = await accessRelay({ AUTH_CHALLENGE: 'on-demand' });
    await withRelay(relay, async () => {
      const client = await relay.connect();
      const protectedNote = signedRaw({ tags: [['-']], content: 'mine only' });
      const first = await okOf(client, protectedNote);
      assert.deepEqual(first, ['OK', protectedNote.event.id, false, REASONS.protectedNoAuth]);
      const challengeIndex = client.messages.findIndex((m) => m[0] === 'AUTH');
      assert.ok(
        challengeIndex >= 0 && challengeIndex < client.messages.indexOf(first),
        'challenge before the OK',
      );
      await authenticate(client, OTHER_KEY);
      assert.deepEqual(await okOf(client, protectedNote), [
        'OK',
        protectedNote.event.id,
        false,
        REASONS.protectedOther,
      ]);
      await authenticate(client);
      assert.equal((await okOf(client, protectedNote))[2], true);
      assert.equal(relay.ingest.requests.length, 1);
    });
  });

  it('open mode: the challenge is sent on connect by default (AUTH_CHALLENGE=on-connect)', async () => {
    const relay = await accessRelay();
    await withRelay(relay, async () => {
      const client = await relay.connect();
      assert.equal(typeof (await client.next((m) => m[0] === 'AUTH'))[1], 'string');
    });
  });

  it('privileged-only REQ/COUNT from an unauthenticated connection: CLOSED auth-required', async () => {
    const relay = await accessRelay({ AUTH_CHALLENGE: 'on-demand' });
    await withRelay(relay, async () => {
      const client = await relay.connect();
      await sleep(20);
      assert.equal(client.all('AUTH').length, 0, 'open mode, on-demand: no challenge on connect');
      assert.deepEqual(await reqEnd(client, 'dm', { kinds: [4] }, { kinds: [1059], '#p': [PUBKEY] }), [
        'CLOSED',
        'dm',
        REASONS.privilegedOnly,
      ]);
      assert.equal(client.all('AUTH').length, 1, 'challenge sent with the first auth-required');
      client.sendJson(['COUNT', 'c', { kinds: [4] }]);
      assert.deepEqual(await client.next((m) => m[1] === 'c'), ['CLOSED', 'c', REASONS.privilegedOnly]);
      assert.equal((await reqEnd(client, 'mixed', { kinds: [4] }, { kinds: [1] }))[0], 'EOSE');
      assert.equal((await reqEnd(client, 'ids', { ids: ['a'.repeat(64)] }))[0], 'EOSE');
      await authenticate(client);
      assert.equal((await reqEnd(client, 'dm2', { kinds: [4] }))[0], 'EOSE');
      assert.deepEqual(relay.query.calls.at(-1)?.request.viewer.authedPubkeys, [PUBKEY]);
    });
  });

  it('PRIVILEGED_KINDS empty: no privileged handling', async () => {
    const relay = await accessRelay({ PRIVILEGED_KINDS: [] });
    await withRelay(relay, async () => {
      const client = await relay.connect();
      assert.equal((await reqEnd(client, 'dm', { kinds: [4] }))[0], 'EOSE');
    });
  });
});

describe('live fanout of privileged events', () => {
  it('delivered only to connections authenticated as the author or a p-tagged pubkey', async () => {
    const relay = await accessRelay({ ACCESS_MODE: 'auth-read' });
    await withRelay(relay, async () => {
      const [author, recipient, other, both] = await Promise.all([
        relay.connect(),
        relay.connect(),
        relay.connect(),
        relay.connect(),
      ]);
      await authenticate(author);
      await authenticate(recipient, OTHER_KEY);
      await authenticate(other, THIRD_KEY);
      await authenticate(both, THIRD_KEY);
      await authenticate(both, OTHER_KEY);
      for (const c of [author, recipient, other, both]) {
        assert.equal((await reqEnd(c, 'live', { kinds: [4, 1] })).at(0), 'EOSE');
      }
      const dm = signedRaw({ kind: 4, tags: [['p', OTHER]], content: 'secret' });
      const note = signedRaw({ kind: 1, content: 'public' });
      await relay.publish(dm);
      await relay.publish(note);
      for (const c of [author, recipient, other, both]) {
        await c.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === note.event.id);
      }
      const got = (c: RawClient) =>
        c.all('EVENT', 'live').some((m) => (m[2] as { id: string }).id === dm.event.id);
      assert.deepEqual([author, recipient, other, both].map(got), [true, true, false, true]);
    });
  });

  it('stored-phase buffers are filtered too', async () => {
    const relay = await accessRelay();
    await withRelay(relay, async () => {
      relay.query.autoEnd = false;
      const client = await relay.connect();
      client.sendJson(['REQ', 's', { kinds: [4, 1] }]);
      const call = await relay.query.call(0);
      const dm = signedRaw({ kind: 4, tags: [['p', OTHER]], content: 'secret' });
      const note = signedRaw({ kind: 1, content: 'public' });
      await relay.publish(dm);
      await relay.publish(note);
      call.end();
      await client.next((m) => m[0] === 'EVENT' && (m[2] as { id: string }).id === note.event.id);
      assert.equal(
        client.all('EVENT').some((m) => (m[2] as { id: string }).id === dm.event.id),
        false,
      );
    });
  });
});
