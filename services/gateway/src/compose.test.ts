import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import {
  createMemoryAccessChangeBus,
  EMPTY_ACCESS_STATE,
  localRateLimiters,
  type RateLimiterFactory,
} from '@nrelay/access';
import { loadConfig, SOFTWARE_URL } from '@nrelay/config';
import type { NostrEvent, RelayInformation } from '@nrelay/protocol';
import type { LoadedPlugin } from '@nrelay/runtime';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import { type Message, RawClient, signedRaw } from '@nrelay/testkit';
import { pino } from 'pino';
import { composeGateway, type GatewayManagement, type GatewayParts } from './compose.js';
import { FakeIngest, FakeQuery } from './fixtures.js';

const BANNED_KEY = Uint8Array.from({ length: 32 }, (_, i) => 200 - i);
const BANNED_PUBKEY = signedRaw({}, BANNED_KEY).event.pubkey;

const management: GatewayManagement = {
  state: EMPTY_ACCESS_STATE,
  route: undefined,
  supportedNips: (base) => [...base],
};

/** A plugin whose one gateway hook records the ids of the EVENTs it was asked about. */
function recordingPlugin(seen: string[]): LoadedPlugin {
  const rejectEvent = [
    (event: NostrEvent) => {
      seen.push(event.id);
      return undefined;
    },
  ];
  return { name: 'recorder', parts: { gateway: { rejectEvent } } };
}

/** A composed gateway on an ephemeral port; `settings` override config values. */
async function startComposed(settings: Record<string, unknown>, parts: Partial<GatewayParts>) {
  const config = loadConfig({}, { HOST: '127.0.0.1', PORT: 0, SHUTDOWN_GRACE_MS: 500, ...settings });
  const ingest = new FakeIngest();
  const gateway = composeGateway(config, {
    ingest,
    query: new FakeQuery(),
    fanout: createMemoryFanoutBus(),
    management,
    accessChanges: createMemoryAccessChangeBus(),
    rateLimiter: localRateLimiters(),
    plugins: [],
    logger: pino({ level: 'silent' }),
    gatewayId: 'compose-test',
    version: '9.9.9',
    querySlots: 4,
    ...parts,
  });
  const { port } = await gateway.listen();
  return { gateway, port, ingest };
}

const okOf = (id: string) => (m: Message) => m[0] === 'OK' && m[1] === id;

test('EVENT hooks: access policy, then rate limits, then plugins (a banned author spends no token)', async () => {
  const seenByPlugin: string[] = [];
  // A frozen clock: the one token of the per-IP EVENT limit never refills during the test.
  const rateLimiter: RateLimiterFactory = localRateLimiters({ now: () => 0 });
  const { gateway, port, ingest } = await startComposed(
    { RATE_EVENTS_PER_IP: 1, BURST_EVENTS_PER_IP: 1 },
    {
      management: {
        ...management,
        state: { ...EMPTY_ACCESS_STATE, levelOf: (pk) => (pk === BANNED_PUBKEY ? 'none' : undefined) },
      },
      rateLimiter,
      plugins: [recordingPlugin(seenByPlugin)],
    },
  );
  const client = await RawClient.open(`ws://127.0.0.1:${port}/`);
  try {
    const banned = signedRaw({ content: 'banned' }, BANNED_KEY);
    client.sendJson(['EVENT', banned.event]);
    const refused = await client.next(okOf(banned.event.id));
    assert.equal(refused[2], false);
    assert.match(String(refused[3]), /^blocked: /);
    assert.deepEqual(seenByPlugin, [], 'the access policy refused before any plugin ran');

    const first = signedRaw({ content: 'first' });
    client.sendJson(['EVENT', first.event]);
    assert.deepEqual(await client.next(okOf(first.event.id)), ['OK', first.event.id, true, '']);
    assert.deepEqual(seenByPlugin, [first.event.id], 'the banned EVENT left the only token to this one');

    const second = signedRaw({ content: 'second' });
    client.sendJson(['EVENT', second.event]);
    const limited = await client.next(okOf(second.event.id));
    assert.equal(limited[2], false);
    assert.match(String(limited[3]), /^rate-limited: /);
    assert.deepEqual(seenByPlugin, [first.event.id], 'the rate limit refused before the plugin ran');
    assert.deepEqual(
      ingest.requests.map((r) => r.event.event.id),
      [first.event.id],
    );
  } finally {
    client.ws.close();
    await gateway.close(500);
  }
});

test('NIP-11, the NIP-86 route, /metrics and write readiness come from the composition', async () => {
  let writable = true;
  const route = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.url !== '/management-probe') return false;
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('management');
    return true;
  };
  const { gateway, port } = await startComposed(
    { RELAY_NAME: 'configured' },
    {
      management: {
        state: { ...EMPTY_ACCESS_STATE, relayInfo: () => ({ name: 'renamed over NIP-86' }) },
        route,
        supportedNips: (base) => [...base, 86],
      },
      writesReady: () => writable,
    },
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    const info = (await (
      await fetch(`${base}/`, { headers: { Accept: 'application/nostr+json' } })
    ).json()) as RelayInformation;
    assert.equal(info.name, 'renamed over NIP-86');
    assert.equal(info.software, SOFTWARE_URL);
    assert.equal(info.version, '9.9.9');
    assert.ok(info.supported_nips?.includes(86), `supported_nips ${JSON.stringify(info.supported_nips)}`);

    const probe = await fetch(`${base}/management-probe`);
    assert.equal(await probe.text(), 'management');
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    await metrics.arrayBuffer();

    assert.equal((await fetch(`${base}/readyz/write`)).status, 200);
    writable = false;
    assert.equal((await fetch(`${base}/readyz/write`)).status, 503);
    assert.equal((await fetch(`${base}/readyz`)).status, 200, 'reads stay ready without writes');
  } finally {
    await gateway.close(500);
  }
});

test('an unknown plugin hook fails the composition, naming the plugin', () => {
  const config = loadConfig({}, { HOST: '127.0.0.1', PORT: 0 });
  const typo: LoadedPlugin = { name: 'typo', parts: { gateway: { rejectEvents: [() => undefined] } } };
  assert.throws(
    () =>
      composeGateway(config, {
        ingest: new FakeIngest(),
        query: new FakeQuery(),
        fanout: createMemoryFanoutBus(),
        management,
        accessChanges: createMemoryAccessChangeBus(),
        rateLimiter: localRateLimiters(),
        plugins: [typo],
        logger: pino({ level: 'silent' }),
        gatewayId: 'compose-test',
        version: '9.9.9',
        querySlots: 4,
      }),
    /plugin "typo": unknown gateway hook "rejectEvents"/,
  );
});
