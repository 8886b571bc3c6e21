import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadConfig } from '@nrelay/config';
import { createMemoryFanoutBus, type FanoutBus } from '@nrelay/seams/fanout';
import { context, injectTrace, trace } from '@nrelay/telemetry';
import { installMemoryTracing, type MemoryTracing } from '@nrelay/telemetry/testing';
import { RawClient, signedRaw } from '@nrelay/testkit';
import { pino } from 'pino';
import { FakeIngest, FakeQuery } from './fixtures.js';
import type { Gateway } from './gateway.js';
import { createObservedGateway, withGatewayTelemetry } from './observed.js';

interface Observed {
  gateway: Gateway;
  port: number;
  ingest: FakeIngest;
  query: FakeQuery;
  fanout: FanoutBus;
  client: RawClient;
}

const opened: Observed[] = [];
after(async () => {
  for (const o of opened) {
    o.client.ws.terminate();
    await o.gateway.close(100);
  }
});

async function start(): Promise<Observed> {
  const config = loadConfig({}, { HOST: '127.0.0.1', PORT: 0, SHUTDOWN_GRACE_MS: 500 });
  const ingest = new FakeIngest();
  const query = new FakeQuery();
  const fanout = createMemoryFanoutBus();
  const gateway = createObservedGateway(config, {
    ingest,
    query,
    fanout,
    logger: pino({ level: 'silent' }),
    gatewayId: 'gw-test',
    supportedNips: [1, 11],
    software: 'nrelay-test',
    version: '0.0.0',
    authChallenge: 'on-demand',
  });
  const { port } = await gateway.listen();
  const client = await RawClient.open(`ws://127.0.0.1:${port}/`);
  const o = { gateway, port, ingest, query, fanout, client };
  opened.push(o);
  return o;
}

/** Value of one sample in a Prometheus text page (0 when absent). */
function sample(page: string, name: string, labels = ''): number {
  const line = page.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

test('with tracing off no spans are made (no trace carrier) and /metrics moves with traffic', async () => {
  const ingest = new FakeIngest();
  const deps = withGatewayTelemetry({
    ingest,
    query: new FakeQuery(),
    fanout: createMemoryFanoutBus(),
    logger: pino({ level: 'silent' }),
    gatewayId: 'g',
    supportedNips: [1],
    software: 's',
    version: '0',
  });
  // Only timed (EVENT → OK), not traced: the request goes through as it is.
  assert.notEqual(deps.ingest, ingest);

  const o = await start();
  const before = await scrape(o.port);
  o.ingest.answer = async (r) =>
    r.event.event.content === 'slow'
      ? { ok: false, reason: 'rate-limited: slow down' }
      : { ok: true, reason: '' };
  const ok = signedRaw({ content: 'fine' });
  const limited = signedRaw({ content: 'slow' });
  o.client.sendJson(['EVENT', ok.event]);
  o.client.sendJson(['EVENT', limited.event]);
  await o.client.next((m) => m[0] === 'OK' && m[1] === limited.event.id);
  await o.client.next((m) => m[0] === 'OK' && m[1] === ok.event.id);
  o.query.autoEnd = true;
  o.client.sendJson(['REQ', 'r1', { kinds: [1] }]);
  await o.client.next((m) => m[0] === 'EOSE');
  await o.fanout.publish(
    { v: 1, event: ok.event, raw: ok.raw, acceptedAt: Date.now() - 5 },
    new AbortController().signal,
  );
  await o.client.next((m) => m[0] === 'EVENT' && m[1] === 'r1');
  assert.equal(o.ingest.requests[0]?.trace, undefined, 'no trace carrier when tracing is off');

  const page = await scrape(o.port);
  const moved = (name: string, labels = '') => sample(page, name, labels) - sample(before, name, labels);
  assert.equal(moved('nrelay_messages_in_total', 'verb="EVENT"'), 2);
  assert.equal(moved('nrelay_messages_in_total', 'verb="REQ"'), 1);
  assert.equal(moved('nrelay_messages_out_total', 'verb="OK"'), 2);
  assert.equal(moved('nrelay_events_total', 'result="accepted",reason="none"'), 1);
  assert.equal(moved('nrelay_events_total', 'result="rejected",reason="rate-limited"'), 1);
  assert.equal(moved('nrelay_rate_limited_total', 'answer="OK"'), 1);
  assert.equal(moved('nrelay_req_eose_seconds_count'), 1);
  assert.equal(moved('nrelay_fanout_delay_seconds_count'), 1);
  assert.equal(moved('nrelay_event_ok_seconds_count', 'result="accepted"'), 1);
  assert.equal(moved('nrelay_event_ok_seconds_count', 'result="rate-limited"'), 1);
  assert.ok(sample(page, 'nrelay_connections') >= 1);
  assert.ok(sample(page, 'nrelay_subscriptions') >= 1);
});

test('CLOSED answers are counted by reason prefix', async () => {
  const o = await start();
  const before = await scrape(o.port);
  o.client.sendJson(['REQ', 'bad', { kinds: [1] }]);
  const call = await o.query.call(0);
  call.fail(new Error('query service down'));
  await o.client.next((m) => m[0] === 'CLOSED' && m[1] === 'bad');
  const page = await scrape(o.port);
  assert.equal(
    sample(page, 'nrelay_subscriptions_closed_total', 'reason="error"') -
      sample(before, 'nrelay_subscriptions_closed_total', 'reason="error"'),
    1,
  );
});

let tracing: MemoryTracing | undefined;

test('one EVENT and one REQ are each one trace; a delivery links to the publisher', async () => {
  tracing = installMemoryTracing();
  try {
    const o = await start();
    const e = signedRaw({ content: 'secret words' });
    o.client.sendJson(['EVENT', e.event]);
    await o.client.next((m) => m[0] === 'OK');
    const spans = () => tracing!.spans();
    const eventSpan = spans().find((s) => s.name === 'EVENT');
    const submit = spans().find((s) => s.name === 'ingest submit');
    assert.ok(eventSpan && submit, 'EVENT and ingest submit spans');
    assert.equal(eventSpan.attributes['nostr.event.id'], e.event.id);
    assert.equal(eventSpan.attributes['nostr.event.kind'], 1);
    assert.equal(submit.spanContext().traceId, eventSpan.spanContext().traceId);
    assert.equal(submit.parentSpanContext?.spanId, eventSpan.spanContext().spanId);
    assert.equal(submit.attributes['nostr.outcome'], 'none');
    assert.equal(submit.attributes['nostr.accepted'], true);
    // The carrier handed to ingest names the submit span.
    const carrier = o.ingest.requests[0]?.trace;
    assert.match(carrier?.traceparent ?? '', new RegExp(`-${submit.spanContext().spanId}-`));

    o.client.sendJson(['REQ', 'sub-1', { kinds: [1] }, { authors: [e.event.pubkey] }]);
    const call = await o.query.call(0);
    call.push(e.raw);
    call.end();
    await o.client.next((m) => m[0] === 'EOSE' && m[1] === 'sub-1');
    await new Promise((r) => setTimeout(r, 20));
    const req = spans().find((s) => s.name === 'REQ');
    const stored = spans().find((s) => s.name === 'REQ stored');
    assert.ok(req && stored, 'REQ and REQ stored spans');
    assert.equal(req.attributes['nostr.subscription.id'], 'sub-1');
    assert.equal(req.attributes['nostr.filter.count'], 2);
    assert.equal(stored.parentSpanContext?.spanId, req.spanContext().spanId);
    assert.equal(stored.attributes['nostr.result.count'], 1);
    assert.equal(stored.attributes['nostr.outcome'], 'eose');
    assert.ok(call.request.trace?.traceparent?.includes(stored.spanContext().traceId));

    // A publisher span elsewhere: the delivery is its own trace, linked to it.
    const publisher = trace.getTracer('test').startSpan('publish');
    const publishCarrier = injectTrace(trace.setSpan(context.active(), publisher));
    publisher.end();
    await o.fanout.publish(
      {
        v: 1,
        event: e.event,
        raw: e.raw,
        acceptedAt: Date.now(),
        trace: publishCarrier,
      },
      new AbortController().signal,
    );
    await o.client.next((m) => m[0] === 'EVENT' && m[1] === 'sub-1', 1);
    const deliver = spans().find((s) => s.name === 'fanout deliver');
    assert.ok(deliver, 'fanout deliver span');
    assert.equal(deliver.parentSpanContext, undefined);
    assert.equal(deliver.links[0]?.context.spanId, publisher.spanContext().spanId);
    assert.equal(deliver.attributes['nrelay.gateway.id'], 'gw-test');

    // Never content or signatures.
    for (const s of spans()) {
      for (const value of Object.values(s.attributes)) {
        assert.notEqual(value, e.event.content);
        assert.notEqual(value, e.event.sig);
      }
    }
  } finally {
    await tracing.stop();
  }
});
