import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import { WebSocket } from 'ws';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';
import { assertPrefix } from './suite/context.js';

// Rate limits in a two-gateway cluster: the per-pubkey bucket (ingest) and the per-IP
// connection bucket (gateways) live in Redis, so a client spreading its traffic over both
// gateways gets ONE budget. Bursts are sent concurrently to both gateways: with per-gateway
// buckets about twice the burst would pass. Plugins load in every process of the cluster.

const NO_LINKS = fileURLToPath(new URL('../../../examples/plugins/no-links.mjs', import.meta.url));
let cluster: ClusterRelay | undefined;
const relay = (): ClusterRelay => {
  if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
  return cluster;
};

before(
  async () => {
    cluster = await startClusterRelay({
      gateways: 2,
      env: {
        RATE_EVENTS_PER_PUBKEY: '1',
        BURST_EVENTS_PER_PUBKEY: '3',
        RATE_CONNECTIONS_PER_IP: '1',
        BURST_CONNECTIONS_PER_IP: '6',
        PLUGINS: NO_LINKS,
      },
    });
  },
  { timeout: 90_000 },
);
after(async () => cluster?.stop(), { timeout: 60_000 });

function upgradeStatus(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('error', () => resolve({ status: 0, body: 'error' }));
  });
}

describe('cluster: rate limits shared through Redis', () => {
  it('EVENTs of one pubkey over two gateways share one bucket', { timeout: 30_000 }, async () => {
    const [a, b] = await Promise.all(relay().gatewayUrls.map((url) => RawClient.open(url)));
    try {
      const keys = newKeys();
      const events = Array.from({ length: 10 }, () => signEvent(keys, { content: randomWord() }));
      const replies = await Promise.all(events.map((e, i) => (i % 2 === 0 ? a! : b!).publish(e, 15_000)));
      const accepted = replies.filter((r) => r.ok).length;
      assert.ok(
        accepted >= 3 && accepted <= 4,
        `accepted ${accepted} of 10: ${replies.map((r) => r.raw).join(' ')}`,
      );
      for (const r of replies.filter((x) => !x.ok)) assertPrefix(r.message, 'rate-limited:', 'EVENT');
    } finally {
      a?.close();
      b?.close();
    }
  });

  it('a plugin set in PLUGINS runs on every gateway', { timeout: 30_000 }, async () => {
    for (const url of relay().gatewayUrls) {
      const c = await RawClient.open(url);
      try {
        const reply = await c.publish(signEvent(newKeys(), { content: 'https://example.com' }));
        assert.equal(reply.ok, false, reply.raw);
        assertPrefix(reply.message, 'blocked:', 'note with a link');
      } finally {
        c.close();
      }
    }
  });

  it('new connections from one IP over two gateways share one bucket (HTTP 429)', {
    timeout: 30_000,
  }, async () => {
    const urls = relay().gatewayUrls;
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => upgradeStatus(urls[i % urls.length]!)),
    );
    const opened = answers.filter((x) => x.status === 101).length;
    assert.ok(opened <= 7, `opened ${opened} of 16 (burst 6): ${JSON.stringify(answers)}`);
    const refused = answers.filter((x) => x.status !== 101);
    assert.ok(refused.length > 0);
    for (const r of refused) {
      assert.equal(r.status, 429);
      assertPrefix(r.body, 'rate-limited:', 'upgrade body');
    }
  });
});
