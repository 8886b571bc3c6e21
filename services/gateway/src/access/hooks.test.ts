import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AccessState, EMPTY_ACCESS_STATE, REASONS } from '@nrelay/access';
import type { RawEvent } from '@nrelay/protocol';
import { type Message, type RawClient, signedRaw } from '@nrelay/testkit';
import { PUBKEY, sleep } from '../fixtures.js';
import { accessRelay, withRelay } from './hooks-fixtures.js';

const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 100 - i);
const THIRD_KEY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const OTHER = signedRaw({}, OTHER_KEY).event.pubkey;

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
