import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newKeys, signEvent } from '@nrelay/testkit';
import { startStandalone } from './harness/standalone.js';
import type { RelayUnderTest } from './harness/types.js';
import { assertPrefix, T, withClient } from './suite/context.js';
import { adminCall, managementTests, nip86 } from './suite/management.js';
import { fetchNip11 } from './suite/nip11.js';

managementTests((opts) => startStandalone({ env: opts?.env }));

describe('NIP-86 management: off without admins, state kept across a restart', () => {
  it('without ADMIN_PUBKEYS neither NIP-86 nor the endpoint exist', T, async () => {
    const relay = await startStandalone();
    try {
      const { doc } = await fetchNip11(relay);
      assert.ok(!(doc.supported_nips as number[]).includes(86), JSON.stringify(doc.supported_nips));
      const answer = await fetch(relay.httpUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/nostr+json+rpc' },
        body: '{"method":"supportedmethods","params":[]}',
      });
      await answer.arrayBuffer();
      assert.equal(answer.status, 405);
    } finally {
      await relay.stop();
    }
  });

  let relay: RelayUnderTest | undefined;
  const admin = newKeys();
  before(async () => {
    relay = await startStandalone({ env: { ADMIN_PUBKEYS: admin.pk } });
  });
  after(async () => {
    await relay?.stop();
  });

  it('bans and relay information survive a restart (loaded from the database at start)', {
    timeout: 60_000,
  }, async () => {
    const spammer = newKeys();
    await adminCall(relay!, admin, 'banpubkey', [spammer.pk]);
    await adminCall(relay!, admin, 'changerelayname', ['kept']);
    relay = await relay!.restart();
    const reply = await withClient(relay.url, (c) => c.publish(signEvent(spammer)));
    assert.equal(reply.ok, false, reply.raw);
    assertPrefix(reply.message, 'blocked:', 'banned pubkey after a restart');
    assert.equal(((await fetchNip11(relay)).doc as { name?: string }).name, 'kept');
    const stranger = await nip86(relay.httpUrl, newKeys(), 'listbannedpubkeys');
    assert.equal(stranger.status, 403);
  });
});
