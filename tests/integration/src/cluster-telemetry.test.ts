import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '@nrelay/telemetry/testing';
import { newKeys, RawClient, randomWord, signEvent } from '@nrelay/testkit';
import { type ClusterRelay, startClusterRelay } from './harness/cluster.js';
import { startStandalone } from './harness/standalone.js';

// Observability of a real cluster: every process exports its spans to a local OTLP/HTTP
// receiver (JSON protocol) and serves /metrics. One EVENT published on gateway A must be one
// trace through ingest, linked from gateway B's delivery; one REQ must be one trace through
// the query service down to its SQL; the metrics must move with the traffic.

const KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const;

let receiver: OtlpReceiver | undefined;
let cluster: ClusterRelay | undefined;
const relay = (): ClusterRelay => {
  if (cluster === undefined) throw new Error('cluster not started (its before hook failed)');
  return cluster;
};

before(
  async () => {
    receiver = await startOtlpReceiver();
    cluster = await startClusterRelay({
      gateways: 2,
      env: {
        // The REQ trace under test is the query service's path: no hot window in front of it.
        HOT_WINDOW_BYTES: '0',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
  },
  { timeout: 90_000 },
);
after(
  async () => {
    await cluster?.stop();
    await receiver?.close();
  },
  { timeout: 60_000 },
);

/** The /metrics URL of a started service (its /readyz URL's neighbour). */
function metricsUrl(service: { name: string; readyUrl: string | undefined }): string {
  if (service.readyUrl === undefined) throw new Error(`${service.name} has no HTTP port`);
  return service.readyUrl.replace(/\/readyz$/, '/metrics');
}

async function scrape(service: { name: string; readyUrl: string | undefined }): Promise<string> {
  const res = await fetch(metricsUrl(service));
  assert.equal(res.status, 200, `${service.name} /metrics`);
  return res.text();
}

/** A sample's value in a Prometheus page, 0 when the series is absent. */
function sample(page: string, series: string): number {
  const line = page.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

const inTrace = (spans: ReceivedSpan[], traceId: string) => spans.filter((s) => s.traceId === traceId);

describe('cluster: traces and metrics', () => {
  it('one EVENT is one trace from gateway A through ingest; B delivers it in a linked span', {
    timeout: 60_000,
  }, async () => {
    const r = relay();
    const [gwA, gwB] = r.cluster.gateways;
    const ingest = r.cluster.ingestWorkers[0]!;
    const before = { a: await scrape(gwA!), b: await scrape(gwB!), ingest: await scrape(ingest) };
    const keys = newKeys();
    const sub = await RawClient.open(r.gatewayUrls[1]!);
    const pub = await RawClient.open(r.gatewayUrls[0]!);
    try {
      const live = await sub.query([{ authors: [keys.pk] }], { subId: 'live', keepOpen: true });
      assert.equal(live.end, 'EOSE');
      const from = sub.mark();
      const event = signEvent(keys, { content: `traced ${randomWord()}` });
      const ok = await pub.publish(event);
      assert.equal(ok.ok, true, ok.message);
      await sub.nextEvent('live', event.id, from, 10_000);

      const spans = await receiver!.waitFor((all) => {
        const root = all.find((s) => s.name === 'EVENT' && s.attributes['nostr.event.id'] === event.id);
        if (root === undefined) return false;
        const names = new Set(inTrace(all, root.traceId).map((s) => s.name));
        const linked = all.filter(
          (s) => s.name === 'fanout deliver' && s.links.some((l) => l.traceId === root.traceId),
        );
        return (
          ['ingest submit', 'ingest', 'verify signature', 'store', 'publish'].every((n) => names.has(n)) &&
          linked.length >= 2
        );
      }, 20_000);
      const root = spans.find((s) => s.name === 'EVENT' && s.attributes['nostr.event.id'] === event.id)!;
      assert.equal(root.service, 'nrelay-gateway');
      assert.equal(root.kind, KIND.server);
      assert.equal(root.attributes['nostr.event.kind'], 1);
      const trace = inTrace(spans, root.traceId);
      const one = (name: string) => {
        const found = trace.find((s) => s.name === name);
        assert.ok(found, `${name} span in the EVENT trace`);
        return found;
      };
      const submit = one('ingest submit');
      assert.equal(submit.parentSpanId, root.spanId);
      assert.equal(submit.attributes['nostr.outcome'], 'none');
      const ingestSpan = one('ingest');
      assert.equal(ingestSpan.service, 'nrelay-ingest');
      assert.equal(ingestSpan.kind, KIND.consumer);
      assert.equal(ingestSpan.parentSpanId, submit.spanId, 'ingest continues the context carried in the job');
      assert.equal(ingestSpan.attributes['nrelay.gateway.id'], 'gw1');
      for (const name of ['verify signature', 'store', 'publish']) {
        assert.equal(one(name).parentSpanId, ingestSpan.spanId, `${name} under ingest`);
      }
      assert.ok(
        trace.some((s) => s.service === 'nrelay-ingest' && s.name.startsWith('pg.query')),
        'the store transaction shows its SQL (pg instrumentation)',
      );
      assert.ok(
        trace.some((s) => s.service === 'nrelay-gateway' && s.attributes['db.system.name'] === 'redis'),
        'the job hand-off shows its Redis commands (ioredis instrumentation)',
      );
      const publish = one('publish');
      const deliveries = spans.filter(
        (s) => s.name === 'fanout deliver' && s.attributes['nostr.event.id'] === event.id,
      );
      const onB = deliveries.find((s) => s.attributes['nrelay.gateway.id'] === 'gw2');
      assert.ok(onB, "gateway B's delivery span");
      assert.equal(onB.kind, KIND.consumer);
      assert.deepEqual(onB.links, [{ traceId: root.traceId, spanId: publish.spanId }]);
      for (const s of [...trace, ...deliveries]) {
        for (const v of Object.values(s.attributes)) {
          assert.ok(v !== event.content && v !== event.sig, `${s.name} carries no content or signature`);
        }
      }

      const after = { a: await scrape(gwA!), b: await scrape(gwB!), ingest: await scrape(ingest) };
      const moved = (which: keyof typeof before, series: string) =>
        sample(after[which], series) - sample(before[which], series);
      assert.equal(moved('a', 'nrelay_messages_in_total{verb="EVENT"}'), 1);
      assert.equal(moved('a', 'nrelay_events_total{result="accepted",reason="none"}'), 1);
      assert.ok(moved('b', 'nrelay_messages_in_total{verb="REQ"}') >= 1);
      assert.ok(moved('b', 'nrelay_fanout_delay_seconds_count') >= 1);
      assert.ok(moved('b', 'nrelay_messages_out_total{verb="EVENT"}') >= 1);
      assert.ok(sample(after.b, 'nrelay_connections') >= 1);
      assert.ok(sample(after.b, 'nrelay_subscriptions') >= 1);
      assert.equal(moved('ingest', 'nrelay_ingest_events_total{result="accepted",reason="none"}'), 1);
      assert.ok(moved('ingest', 'nrelay_store_write_seconds_count') >= 1);
      assert.ok(moved('ingest', 'nrelay_store_batch_size_count') >= 1);
      assert.equal(moved('ingest', 'nrelay_ingest_queue_wait_seconds_count'), 1);
      assert.match(after.ingest, /nrelay_ingest_queue_depth\{state="waiting"\} \d+/);
    } finally {
      sub.close();
      pub.close();
    }
  });

  it('one REQ is one trace: gateway, query HTTP, query engine, SQL; query metrics move', {
    timeout: 60_000,
  }, async () => {
    const r = relay();
    const gw = r.cluster.gateways[0]!;
    const query = r.cluster.queryServices[0]!;
    const before = { gw: await scrape(gw), query: await scrape(query) };
    const keys = newKeys();
    const c = await RawClient.open(r.gatewayUrls[0]!);
    try {
      const event = signEvent(keys);
      assert.equal((await c.publish(event)).ok, true);
      const result = await c.query([{ authors: [keys.pk] }, { ids: [event.id] }], { subId: 'traced-req' });
      assert.equal(result.end, 'EOSE');
      assert.equal(result.events.length, 1);

      const spans = await receiver!.waitFor((all) => {
        const req = all.find(
          (s) => s.name === 'REQ' && s.attributes['nostr.subscription.id'] === 'traced-req',
        );
        if (req === undefined) return false;
        const trace = inTrace(all, req.traceId);
        return (
          trace.some((s) => s.name === 'REQ stored') &&
          trace.some((s) => s.service === 'nrelay-query' && s.name === 'query') &&
          trace.some((s) => s.service === 'nrelay-query' && s.name.startsWith('pg.query'))
        );
      }, 20_000);
      const req = spans.find(
        (s) => s.name === 'REQ' && s.attributes['nostr.subscription.id'] === 'traced-req',
      )!;
      assert.equal(req.service, 'nrelay-gateway');
      assert.equal(req.attributes['nostr.filter.count'], 2);
      const trace = inTrace(spans, req.traceId);
      const stored = trace.find((s) => s.name === 'REQ stored');
      assert.ok(stored);
      assert.equal(stored.parentSpanId, req.spanId);
      assert.equal(stored.attributes['nostr.result.count'], 1);
      assert.equal(stored.attributes['nostr.outcome'], 'eose');
      const httpClient = trace.find((s) => s.service === 'nrelay-gateway' && s.kind === KIND.client);
      assert.ok(httpClient, 'the HTTP request to the query service');
      assert.equal(httpClient.parentSpanId, stored.spanId);
      const httpServer = trace.find((s) => s.service === 'nrelay-query' && s.kind === KIND.server);
      assert.ok(httpServer, "the query service's HTTP span");
      assert.equal(httpServer.parentSpanId, httpClient.spanId);
      const engine = trace.find((s) => s.service === 'nrelay-query' && s.name === 'query');
      assert.ok(engine);
      assert.equal(engine.parentSpanId, httpServer.spanId);
      assert.equal(engine.attributes['nostr.result.count'], 1);
      const sql = trace.filter((s) => s.service === 'nrelay-query' && s.name.startsWith('pg.query'));
      assert.ok(sql.length >= 1);

      const after = { gw: await scrape(gw), query: await scrape(query) };
      const moved = (which: keyof typeof before, series: string) =>
        sample(after[which], series) - sample(before[which], series);
      assert.equal(moved('gw', 'nrelay_req_eose_seconds_count'), 1);
      assert.equal(moved('query', 'nrelay_query_duration_seconds_count{op="query",outcome="ok"}'), 1);
      assert.equal(moved('query', 'nrelay_query_events_total'), 1);
    } finally {
      c.close();
    }
  });
});

describe('standalone: metrics', () => {
  it('/metrics on the relay port moves with traffic', { timeout: 60_000 }, async () => {
    const relay = await startStandalone();
    try {
      const scrapeRelay = async () => (await fetch(`${relay.httpUrl}/metrics`)).text();
      // The hot window warms right after the relay listens.
      const deadline = Date.now() + 10_000;
      while (sample(await scrapeRelay(), 'nrelay_hot_window_hot') !== 1) {
        assert.ok(Date.now() < deadline, 'the hot window never warmed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const before = await scrapeRelay();
      const c = await RawClient.open(relay.url);
      try {
        assert.equal((await c.publish(signEvent(newKeys()))).ok, true);
        assert.equal((await c.query([{ kinds: [1], limit: 1 }])).end, 'EOSE');
      } finally {
        c.close();
      }
      const after = await scrapeRelay();
      const moved = (series: string) => sample(after, series) - sample(before, series);
      assert.equal(moved('nrelay_messages_in_total{verb="EVENT"}'), 1);
      assert.equal(moved('nrelay_events_total{result="accepted",reason="none"}'), 1);
      assert.equal(moved('nrelay_ingest_events_total{result="accepted",reason="none"}'), 1);
      assert.equal(moved('nrelay_req_eose_seconds_count'), 1);
      assert.ok(moved('nrelay_store_write_seconds_count') >= 1);
      // The REQ right after the OK was answered by the hot window, which had the event.
      assert.equal(moved('nrelay_hot_window_filters_total{answer="window"}'), 1);
      assert.equal(moved('nrelay_hot_window_filters_total{answer="query"}'), 0);
    } finally {
      await relay.stop();
    }
  });
});
