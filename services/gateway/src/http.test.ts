import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RawClient, signedRaw } from '@nrelay/testkit';
import { sleep, startRelay } from './fixtures.js';
import { escapeHtml } from './nip11.js';

const NIP11 = { Accept: 'application/nostr+json' };

test('GET / with Accept: application/nostr+json serves the NIP-11 document with CORS', async () => {
  const relay = await startRelay({
    RELAY_NAME: 'Test <relay>',
    RELAY_CONTACT: 'admin@example.com',
    MAX_SUBSCRIPTIONS: 7,
  });
  try {
    const res = await fetch(`http://127.0.0.1:${relay.port}/`, { headers: NIP11 });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/nostr+json');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-headers'), '*');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, OPTIONS');
    const doc = (await res.json()) as Record<string, unknown>;
    assert.equal(doc.name, 'Test <relay>');
    assert.equal(doc.contact, 'admin@example.com');
    assert.deepEqual(doc.supported_nips, [1, 11, 42, 45, 77]);
    assert.equal(doc.software, 'nrelay-test');
    assert.equal(doc.version, '0.0.0');
    const limitation = doc.limitation as Record<string, unknown>;
    assert.equal(limitation.max_subscriptions, 7);
    assert.equal(limitation.max_message_length, 262144);
    assert.equal(limitation.auth_required, false);
    assert.equal(limitation.payment_required, false);
    assert.equal('pubkey' in doc, false, 'unset fields are omitted');
  } finally {
    await relay.close();
  }
});

test('OPTIONS preflight is answered with the CORS headers', async () => {
  const relay = await startRelay();
  try {
    const res = await fetch(`http://127.0.0.1:${relay.port}/`, { method: 'OPTIONS' });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('access-control-allow-methods'), 'GET, OPTIONS');
  } finally {
    await relay.close();
  }
});

test('a browser GET / gets an escaped HTML page about the relay', async () => {
  const relay = await startRelay({ RELAY_NAME: '<script>x</script>', RELAY_DESCRIPTION: 'a & b' });
  try {
    const res = await fetch(`http://127.0.0.1:${relay.port}/`, { headers: { Accept: 'text/html' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const page = await res.text();
    assert.ok(!page.includes('<script>'));
    assert.ok(page.includes('&lt;script&gt;x&lt;/script&gt;'));
    assert.ok(page.includes('a &amp; b'));
    assert.ok(page.includes(`ws://127.0.0.1:${relay.port}/`));
    assert.ok(page.includes('NIP-42'));
    assert.ok(page.includes('max_subscriptions'));
  } finally {
    await relay.close();
  }
});

test('healthz, readyz, 404 and mounted routes', async () => {
  const relay = await startRelay(
    {},
    {
      httpRoutes: [
        (req, res) => {
          if (req.url !== '/metrics') return false;
          res.end('metrics here');
          return true;
        },
      ],
    },
  );
  const base = `http://127.0.0.1:${relay.port}`;
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  assert.equal((await fetch(`${base}/readyz`)).status, 200);
  assert.equal((await fetch(`${base}/nope`)).status, 404);
  assert.equal(await (await fetch(`${base}/metrics`)).text(), 'metrics here');
  await relay.close();
});

test('shutdown: readyz turns 503, new sockets are refused, in-flight EVENTs get their OK, then 1001', async () => {
  const relay = await startRelay();
  const base = `http://127.0.0.1:${relay.port}`;
  const client = await relay.connect();
  let release: () => void = () => undefined;
  relay.ingest.answer = () =>
    new Promise((resolve) => {
      release = () => resolve({ ok: true, reason: '' });
    });
  const { event, raw } = signedRaw({ content: 'in flight' });
  client.send(`["EVENT",${raw}]`);
  while (relay.gateway.stats().pendingSubmits === 0) await sleep(5);
  const closing = relay.gateway.close(2000);
  assert.equal((await fetch(`${base}/readyz`)).status, 503);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  await assert.rejects(RawClient.open(relay.url));
  release();
  await closing;
  assert.deepEqual(client.all('OK'), [['OK', event.id, true, '']]);
  assert.equal((await client.waitClose()).code, 1001);
});

test('escapeHtml escapes the five special characters', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});
