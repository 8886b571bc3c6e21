/**
 * The cluster on a Postgres primary with a real streaming hot standby (READ_DATABASE_URL, ADR
 * 0024): the black-box suite with the query services reading from the standby, and the
 * read-your-writes rule under artificial lag (`recovery_min_apply_delay`): an event OK'd on one
 * gateway is found by a REQ or COUNT on the other, through the fallback to the primary when the
 * wait bound is short and through waiting when it is longer than the lag; a standby that is down
 * sends reads to the primary and nothing fails.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import pg from 'pg';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';
import { relaySuite } from './suite/index.js';
import { adminCall } from './suite/management.js';

/** The sum of a metric's samples on Prometheus text `page` whose labels include `labels`. */
function metric(page: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of page.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Every query service's /metrics page of `relay`, joined. */
async function queryMetrics(relay: ClusterRelay): Promise<string> {
  const pages = await Promise.all(
    relay.cluster.queryServices.map(async (s) => {
      const res = await fetch((s.readyUrl as string).replace(/\/readyz$/, '/metrics'));
      assert.equal(res.status, 200);
      return res.text();
    }),
  );
  return pages.join('\n');
}

/** Reads the replica served, and the primary's by reason, on `relay` now. */
async function readCounts(relay: ClusterRelay) {
  const page = await queryMetrics(relay);
  return {
    page,
    replica: metric(page, 'nrelay_query_reads_total', { target: 'replica' }),
    primary: metric(page, 'nrelay_query_reads_total', { target: 'primary' }),
    lag: metric(page, 'nrelay_query_primary_reads_total', { reason: 'lag' }),
    noBound: metric(page, 'nrelay_query_primary_reads_total', { reason: 'no_bound' }),
    unrestricted: metric(page, 'nrelay_query_primary_reads_total', { reason: 'unrestricted' }),
    down:
      metric(page, 'nrelay_query_primary_reads_total', { reason: 'unavailable' }) +
      metric(page, 'nrelay_query_primary_reads_total', { reason: 'error' }),
  };
}

// The suite's relays, scraped before each stops: the standby must have served some of its reads.
let suiteReplicaReads = 0;
const suitePrimary = { all: 0, lag: 0, noBound: 0, unrestricted: 0 };
relaySuite('cluster reading from a streaming replica', async (opts) => {
  const relay = await startClusterRelay({ env: opts?.env, readReplica: true });
  const stop = relay.stop.bind(relay);
  return Object.assign(relay, {
    stop: async () => {
      const counts = await readCounts(relay).catch(() => undefined);
      suiteReplicaReads += counts?.replica ?? 0;
      suitePrimary.all += counts?.primary ?? 0;
      suitePrimary.lag += counts?.lag ?? 0;
      suitePrimary.noBound += counts?.noBound ?? 0;
      suitePrimary.unrestricted += counts?.unrestricted ?? 0;
      await stop();
    },
  });
});

test('the standby served reads of the suite', (t) => {
  t.diagnostic(
    `reads served by the standby ${suiteReplicaReads}, by the primary ${suitePrimary.all} ` +
      `(no bound ${suitePrimary.noBound}, warm-ups ${suitePrimary.unrestricted}, lag ${suitePrimary.lag})`,
  );
  assert.ok(suiteReplicaReads > 0, `replica reads: ${suiteReplicaReads}`);
});

/** Publishes on gateway 0, then asks gateway 1 by id (REQ, COUNT and a search REQ). */
async function publishThenReadElsewhere(relay: ClusterRelay, hotWindow: boolean): Promise<string> {
  const word = randomWord();
  const event = signEvent(newKeys(), { content: `read your writes ${word}` });
  const pub = await RawClient.open(relay.gatewayUrls[0] as string);
  const reader = await RawClient.open(relay.gatewayUrls[1] as string);
  try {
    assert.equal((await pub.publish(event)).ok, true);
    const byId = await reader.query([{ ids: [event.id] }]);
    assert.equal(byId.end, 'EOSE', byId.reason);
    assert.deepEqual(
      byId.events.map((e) => e.id),
      [event.id],
      'a REQ on another gateway finds the OK’d event',
    );
    const from = reader.mark();
    await reader.sendJson(['COUNT', 'cnt', { ids: [event.id] }]);
    const count = await reader.waitFor((m) => m[1] === 'cnt', { from, what: 'COUNT reply' });
    assert.deepEqual(count.msg[2], { count: 1 }, count.raw);
    if (hotWindow) {
      // A search is never answered from the hot window: the query service's path.
      const found = await reader.query([{ search: word, limit: 5 }]);
      assert.deepEqual(
        found.events.map((e) => e.id),
        [event.id],
      );
    }
    return event.id;
  } finally {
    pub.close();
    reader.close();
  }
}

/** Whether the standby shows the event now (read straight from it, not through the relay). */
async function onStandby(relay: ClusterRelay, id: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: relay.replica?.replicaUrl });
  await client.connect();
  try {
    const { rows } = await client.query('select count(*)::int as n from events where id = $1', [id]);
    return (rows[0] as { n: number }).n === 1;
  } finally {
    await client.end();
  }
}

describe('read-your-writes with a lagging standby', () => {
  describe('wait bound shorter than the lag, hot window off: the primary answers', () => {
    let relay: ClusterRelay;
    const admin = newKeys();
    before(
      async () => {
        relay = await startClusterRelay({
          readReplica: true,
          env: { READ_REPLICA_WAIT_MS: '100', HOT_WINDOW_BYTES: '0', ADMIN_PUBKEYS: admin.pk },
        });
        await relay.replica?.setApplyDelay(2000);
      },
      { timeout: 120_000 },
    );
    after(() => relay?.stop(), { timeout: 60_000 });

    test('publish → OK → REQ and COUNT by id on the other gateway find it', { timeout: 60_000 }, async () => {
      const before = await readCounts(relay);
      const id = await publishThenReadElsewhere(relay, false);
      // The control: the standby does not show it yet, so the answer came from the primary.
      assert.equal(await onStandby(relay, id), false, 'the apply delay holds the event back');
      const now = await readCounts(relay);
      assert.ok(now.lag > before.lag, 'the lagging standby was passed over');
    });

    test('a standby that is down: reads go to the primary, nothing fails', { timeout: 90_000 }, async () => {
      const pair = relay.replica!;
      await pair.setApplyDelay(0);
      await pair.downReplica();
      try {
        const before = await readCounts(relay);
        await publishThenReadElsewhere(relay, false);
        await publishThenReadElsewhere(relay, false);
        const now = await readCounts(relay);
        assert.ok(now.down > before.down, 'reads fell back for an unavailable standby');
        assert.equal(now.replica, before.replica);
      } finally {
        await pair.upReplica();
      }
      // Back: within the stats interval the standby takes reads again.
      await pair.caughtUp();
      const start = (await readCounts(relay)).replica;
      const deadline = Date.now() + 30_000;
      for (;;) {
        await publishThenReadElsewhere(relay, false);
        if ((await readCounts(relay)).replica > start) break;
        assert.ok(Date.now() < deadline, 'the standby never took reads again');
        await new Promise((r) => setTimeout(r, 500));
      }
    });

    test('a NIP-86 ban hides stored events at once, though the standby still shows them', {
      timeout: 60_000,
    }, async () => {
      const pair = relay.replica!;
      const author = newKeys();
      const event = signEvent(author, { content: 'to be banned' });
      const reader = await RawClient.open(relay.gatewayUrls[1] as string);
      try {
        const pub = await RawClient.open(relay.gatewayUrls[0] as string);
        assert.equal((await pub.publish(event)).ok, true);
        pub.close();
        await pair.caughtUp();
        // Read from the standby: this gateway has a bound and the standby is past it.
        const before = await readCounts(relay);
        assert.equal((await reader.query([{ authors: [author.pk] }])).events.length, 1);
        assert.ok((await readCounts(relay)).replica > before.replica, 'the standby answered');
        await pair.setApplyDelay(2000);
        await adminCall(relay, admin, 'banpubkey', [author.pk]);
        // Within the one-second propagation promise of NIP-86, on the other gateway.
        const deadline = Date.now() + 1000;
        for (;;) {
          const found = (await reader.query([{ authors: [author.pk] }])).events.length;
          if (found === 0) break;
          assert.ok(Date.now() < deadline, 'the banned event is still served');
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(await onStandby(relay, event.id), true, 'the standby has not replayed the ban yet');
      } finally {
        reader.close();
        await pair.setApplyDelay(0);
      }
    });
  });

  describe('wait bound longer than the lag, hot window on: the standby answers once caught up', () => {
    let relay: ClusterRelay;
    before(
      async () => {
        relay = await startClusterRelay({ readReplica: true, env: { READ_REPLICA_WAIT_MS: '5000' } });
        await relay.replica?.setApplyDelay(1000);
      },
      { timeout: 120_000 },
    );
    after(() => relay?.stop(), { timeout: 60_000 });

    test('publish → OK → REQ, COUNT and search on the other gateway find it', {
      timeout: 60_000,
    }, async () => {
      // A first read gives each gateway its starting bound (the primary answers it).
      await publishThenReadElsewhere(relay, true);
      const before = await readCounts(relay);
      await publishThenReadElsewhere(relay, true);
      const now = await readCounts(relay);
      assert.ok(now.replica > before.replica, 'the standby answered');
      assert.equal(now.lag, before.lag, 'no read gave up waiting');
    });

    test('the lag metrics are exported per replica', { timeout: 30_000 }, async () => {
      const { page } = await readCounts(relay);
      for (const name of [
        'nrelay_query_replica_lag_bytes',
        'nrelay_query_replica_lag_seconds',
        'nrelay_query_replica_healthy',
      ]) {
        assert.match(page, new RegExp(`^${name}\\{[^}]*replica="0"`, 'm'), name);
      }
    });
  });
});
