import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Relay } from 'nostr-tools/relay';
import { runCli, spawnCli, summaryOf } from './cli/run.js';
import {
  type ClusterRelay,
  connectRelay,
  freePortBlock,
  type Keys,
  newKeys,
  nowSec,
  type RelayUnderTest,
  signEvent,
  startClusterRelay,
  startStandalone,
  storedEvents,
  waitUntil,
} from './harness/index.js';

/** Publishes `count` notes by `keys` to each relay; returns their ids. */
async function publish(relays: Relay[], keys: Keys, count: number, tag: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    // No content given: a random word, so two calls never sign the same event.
    const event = signEvent(keys, { kind: 1, created_at: nowSec() - 1000 + i, tags: [['t', tag]] });
    for (const relay of relays) await relay.publish(event);
    ids.push(event.id);
  }
  return ids;
}

async function idsOf(relay: Relay, tag: string): Promise<Set<string>> {
  return new Set((await storedEvents(relay, [{ '#t': [tag], limit: 5000 }])).map((e) => e.id));
}

// The remote is a standalone relay (PGlite); the local side a cluster (Postgres, Redis, a
// gateway with a hot window), whose store the CLI opens with the cluster's own settings.
describe('nrelay sync and mirror: a cluster against a standalone relay', () => {
  let remote: RelayUnderTest;
  let local: ClusterRelay;
  let remotePort: number;
  const keys = newKeys();
  const storeOf = () => ({ databaseUrl: local.database.url });
  const clusterEnv = () => ({ REDIS_URL: local.redisUrl, REDIS_PREFIX: local.redisPrefix });

  before(async () => {
    remotePort = await freePortBlock(1);
    [remote, local] = await Promise.all([
      startStandalone({ env: { PORT: String(remotePort) } }),
      startClusterRelay({ gateways: 1 }),
    ]);
  });
  after(async () => {
    await Promise.all([remote?.stop(), local?.stop()]);
  });

  it('sync both ways over NIP-77: each side ends with the union, the cluster serves what it fetched', async () => {
    const [there, here] = await Promise.all([connectRelay(remote.url), connectRelay(local.url)]);
    try {
      const shared = await publish([there, here], keys, 40, 'sync');
      const onlyThere = await publish([there], keys, 120, 'sync');
      const onlyHere = await publish([here], keys, 70, 'sync');
      const run = await runCli(
        ['sync', remote.url, '--json', '--filter', '{"#t":["sync"]}'],
        storeOf(),
        clusterEnv(),
      );
      assert.equal(run.code, 0, run.stderr);
      const result = summaryOf(run) as {
        method: string;
        need: number;
        have: number;
        down: { stored: number };
        up: { accepted: number };
      };
      assert.equal(result.method, 'nip77');
      assert.deepEqual([result.need, result.have], [onlyThere.length, onlyHere.length]);
      assert.equal(result.down.stored, onlyThere.length);
      assert.equal(result.up.accepted, onlyHere.length);
      const all = new Set([...shared, ...onlyThere, ...onlyHere]);
      assert.deepEqual(await idsOf(there, 'sync'), all);
      // Read through the cluster's gateway (its hot window re-warmed on the CLI's announcement).
      await waitUntil(async () => ((await idsOf(here, 'sync')).size === all.size ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the cluster serving every synced event',
      });
      const again = summaryOf(await runCli(['sync', remote.url, '--json'], storeOf(), clusterEnv())) as {
        need: number;
        have: number;
      };
      assert.deepEqual([again.need, again.have], [0, 0]);
    } finally {
      there.close();
      here.close();
    }
  });

  it('sync with a relay without NIP-77 says so and downloads with REQs instead (or, with --no-fallback, refuses)', async () => {
    const plain = await startStandalone({ env: { NEG_ENABLED: 'false' } });
    try {
      const there = await connectRelay(plain.url);
      const ids = await publish([there], keys, 30, 'fallback');
      there.close();
      const filter = ['--filter', '{"#t":["fallback"]}'];
      const refused = await runCli(['sync', plain.url, '--no-fallback', ...filter], storeOf(), clusterEnv());
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr,
        /did not take part in NIP-77 \(NEG-ERR blocked: negentropy sync \(NIP-77\) is disabled/,
      );
      const run = await runCli(['sync', plain.url, '--json', ...filter], storeOf(), clusterEnv());
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /downloading with REQs since the beginning instead \(no upload\)/);
      const result = summaryOf(run) as { method: string; down: { stored: number } };
      assert.equal(result.method, 'req');
      assert.equal(result.down.stored, ids.length);
    } finally {
      await plain.stop();
    }
  });

  it('mirror stores the live stream, a live subscriber of the cluster sees it, and it catches up after the remote restarts', async () => {
    const mirror = spawnCli(
      ['mirror', remote.url, '--publish', '--json', '--filter', '{"#t":["live"]}'],
      storeOf(),
      clusterEnv(),
    );
    const here = await connectRelay(local.gatewayUrls[0] as string);
    const seenLive = new Set<string>();
    here.subscribe([{ '#t': ['live'], limit: 0 }], { onevent: (e) => void seenLive.add(e.id) });
    try {
      await waitUntil(() => (mirror.stderr().includes('following') ? true : undefined), {
        timeoutMs: 20_000,
        what: 'the mirror following the remote',
      });
      let there = await connectRelay(remote.url);
      const first = await publish([there], keys, 20, 'live');
      there.close();
      await waitUntil(() => (first.every((id) => seenLive.has(id)) ? true : undefined), {
        timeoutMs: 15_000,
        what: 'the cluster’s live subscriber seeing the mirrored events',
      });
      // The remote goes away and comes back on the same port; what it got meanwhile is caught up.
      remote = await remote.restart();
      there = await connectRelay(remote.url);
      const gap = await publish([there], keys, 15, 'live');
      there.close();
      await waitUntil(() => (gap.every((id) => seenLive.has(id)) ? true : undefined), {
        timeoutMs: 30_000,
        what: `the events published around the reconnect (mirror log: ${mirror.stderr()})`,
      });
      mirror.child.kill('SIGINT');
      const done = await mirror.done;
      assert.equal(done.code, 0, done.stderr);
      const summary = summaryOf(done);
      assert.equal(summary.stored, first.length + gap.length);
      assert.match(done.stderr, /reconnecting in 1 s/);
      assert.match(done.stderr, /following ws:\S+, catching up the gap/);
      assert.deepEqual(await idsOf(here, 'live'), new Set([...first, ...gap]));
    } finally {
      mirror.child.kill('SIGKILL');
      here.close();
    }
  });
});
