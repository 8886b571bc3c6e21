import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { newKeys, RawClient, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { storedIds, eventStream as stream, summarizeOks as summarize } from '../harness/accounting.js';
import { FrameTally } from '../harness/tally.js';
import { waitUntil } from '../harness/wait.js';
import { ensureRunning, type FaultCluster, REPLY_TIMEOUT_MS } from './cluster.js';

/**
 * Faults of the services behind the gateways: the ingest worker killed mid-stream, the query
 * service stopped, the query service frozen. Each test restores what it broke.
 */
export function serviceFaultTests(cluster: FaultCluster): void {
  const { relay, gwA, gwB } = cluster;
  it('ingest worker killed (-9) mid-stream and restarted: every EVENT gets one OK, every OK true is stored', {
    timeout: 120_000,
  }, async (t) => {
    const ingest = relay().cluster.ingestWorkers[0]!;
    const BURST = 5;
    const EVERY_MS = 25;
    const DURATION_MS = 5000;
    const KILL_AT_MS = 1500;
    // Steady traffic, plus a large burst right before the kill so that many jobs are in flight.
    const KILL_BURST = 300;
    const steady = (DURATION_MS / EVERY_MS) * BURST;
    const { filter, events } = stream(steady + KILL_BURST, 'ingest-kill');
    const pub = await RawClient.open(gwA());
    const tally = new FrameTally(pub);
    try {
      const start = performance.now();
      let killedAt = -1;
      let restartedAt = -1;
      let fault: Promise<void> | undefined;
      const send = (e: NostrEvent) => pub.send(`["EVENT",${JSON.stringify(e)}]`);
      for (let i = 0; i < steady; i += BURST) {
        const due = start + (i / BURST) * EVERY_MS;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        for (const e of events.slice(i, i + BURST)) await send(e);
        if (fault === undefined && performance.now() - start >= KILL_AT_MS) {
          for (const e of events.slice(steady)) await send(e);
          fault = (async () => {
            await sleep(30);
            killedAt = performance.now() - start;
            await ingest.kill();
            await sleep(1000);
            await ingest.start(30_000);
            restartedAt = performance.now() - start;
          })();
        }
      }
      await fault;
      const sentAll = performance.now() - start;
      // Every EVENT answered: at most the reply timeout after the last send, plus slack.
      await waitUntil(() => (tally.update().oks.size === events.length ? true : undefined), {
        timeoutMs: REPLY_TIMEOUT_MS + 15_000,
        what: `an OK for each of ${events.length} events (${summarize(tally.update(), events)})`,
      });
      // Late second answers would arrive within this margin (the reply channel, a retried job).
      await sleep(1500);
      await pub.barrier();
      tally.update();
      t.diagnostic(
        `killed at +${Math.round(killedAt)} ms, ready again at +${Math.round(restartedAt)} ms, last send at +${Math.round(sentAll)} ms; ${events.length} events: ${summarize(tally, events)}`,
      );
      assert.equal(pub.closed, undefined, 'the publishing connection was closed');
      const several = events.filter((e) => (tally.oks.get(e.id)?.length ?? 0) > 1);
      assert.deepEqual(
        several.map((e) => `${e.id}: ${JSON.stringify(tally.oks.get(e.id))}`),
        [],
        'events answered more than once',
      );
      const badRefusals = events.filter((e) => {
        const ok = tally.oks.get(e.id)![0]!;
        return !ok.ok && !ok.message.startsWith('error:');
      });
      assert.deepEqual(
        badRefusals.map((e) => `${e.id}: ${tally.oks.get(e.id)![0]!.message}`),
        [],
        'refusals other than error:',
      );
      const accepted = events.filter((e) => tally.oks.get(e.id)![0]!.ok).map((e) => e.id);
      assert.ok(accepted.length > 0, 'nothing was accepted at all');
      const stored = await storedIds(gwB(), filter);
      const lost = accepted.filter((id) => !stored.has(id));
      assert.deepEqual(
        lost,
        [],
        `events acknowledged OK true but not stored (${lost.length} of ${accepted.length})`,
      );
    } finally {
      pub.close();
      await ensureRunning(ingest);
    }
  });

  it('query service stopped: a REQ the hot window cannot answer gets CLOSED error: within 10 s, one it can still gets its events; after a restart REQs work again', {
    timeout: 90_000,
  }, async (t) => {
    const query = relay().cluster.queryServices[0]!;
    const urls = [relay().url, gwA(), gwB()];
    const clients = await Promise.all(urls.map((u) => RawClient.open(u)));
    try {
      for (const c of clients) assert.equal((await c.query([{ kinds: [1], limit: 1 }])).end, 'EOSE');
      // Stored before the outage: every gateway's hot window holds it.
      const before = signEvent(newKeys());
      assert.equal((await clients[0]!.publish(before, 10_000)).ok, true);
      await query.stop();
      const timings: string[] = [];
      for (const [i, c] of clients.entries()) {
        // The gateways' hot windows keep answering what they hold without the query service.
        const fromWindow = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
        if (fromWindow.events.length !== 1)
          t.diagnostic(
            relay()
              .logs()
              .split('\n')
              .filter((l) => /hot.window|warm/i.test(l))
              .join('\n'),
          );
        assert.deepEqual(
          [fromWindow.end, fromWindow.events.length],
          ['EOSE', 1],
          `window REQ via ${urls[i]}`,
        );
        const began = performance.now();
        // A search is never answered by the window: it needs the query service.
        const r = await c.query([{ kinds: [1], search: 'anything', limit: 1 }], { timeoutMs: 10_000 });
        const ms = Math.round(performance.now() - began);
        timings.push(`${urls[i]}: ${r.end} "${r.reason}" after ${ms} ms`);
        assert.equal(r.end, 'CLOSED', `REQ through ${urls[i]} with the query service down ended with EOSE`);
        assert.ok(
          r.reason.startsWith('error:'),
          `CLOSED reason through ${urls[i]}: ${JSON.stringify(r.reason)}`,
        );
        // The connection stays usable for what does not need the query service.
        const e = signEvent(newKeys());
        const ok = await c.publish(e, 10_000);
        assert.equal(ok.ok, true, `publish through ${urls[i]} while the query service is down: ${ok.raw}`);
      }
      t.diagnostic(timings.join('; '));
      await query.start(30_000);
      for (const [i, c] of clients.entries()) {
        const r = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
        assert.equal(r.end, 'EOSE', `first REQ through ${urls[i]} after the restart: ${r.reason}`);
        assert.equal(r.events.length, 1, `first REQ through ${urls[i]} after the restart returned no event`);
      }
    } finally {
      for (const c of clients) c.close();
      await ensureRunning(query);
    }
  });

  it('query service frozen (SIGSTOP, accepts but never answers): a REQ gets CLOSED error: within 10 s', {
    timeout: 60_000,
  }, async (t) => {
    const query = relay().cluster.queryServices[0]!;
    const pid = query.pid;
    assert.ok(pid !== undefined, 'query service not running');
    const c = await RawClient.open(gwB());
    let frozen = false;
    try {
      assert.equal((await c.query([{ kinds: [1], limit: 1 }])).end, 'EOSE');
      process.kill(pid, 'SIGSTOP');
      frozen = true;
      const began = performance.now();
      // A search is never answered by the hot window: it needs the query service.
      const r = await c.query([{ kinds: [1], search: 'anything', limit: 1 }], { timeoutMs: 10_000 });
      const ms = Math.round(performance.now() - began);
      t.diagnostic(`${r.end} "${r.reason}" after ${ms} ms (QUERY_TIMEOUT_MS default 5000)`);
      assert.equal(r.end, 'CLOSED', 'REQ with the query service frozen ended with EOSE');
      assert.ok(r.reason.startsWith('error:'), `CLOSED reason: ${JSON.stringify(r.reason)}`);
      process.kill(pid, 'SIGCONT');
      frozen = false;
      const again = await c.query([{ kinds: [1], limit: 1 }], { timeoutMs: 10_000 });
      assert.equal(again.end, 'EOSE', `first REQ after SIGCONT: ${again.reason}`);
    } finally {
      if (frozen) process.kill(pid, 'SIGCONT');
      c.close();
    }
  });
}
