import assert from 'node:assert/strict';
import { test } from 'node:test';
import { localRateLimiters } from '@nrelay/access';
import { loadConfig } from '@nrelay/config';
import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import type { LoadedPlugin } from '@nrelay/runtime';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';
import { signedRaw } from '@nrelay/testkit';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { composeIngestPipeline, type IngestParts } from './compose.js';

const nowSec = () => Math.floor(Date.now() / 1000);

function request(event: RawEvent): IngestRequest {
  return { v: 1, event, receivedAt: Date.now(), gatewayId: 'g', connectionId: 'c', authedPubkeys: [] };
}

/** A store that records what it was asked to save and stores everything. */
function recordingStore(saved: string[]): IngestParts['store'] {
  return {
    async save(events: RawEvent[]): Promise<SaveOutcome[]> {
      for (const e of events) saved.push(e.event.id);
      return events.map(() => ({ status: 'stored' as const }));
    },
  };
}

/** Composes a pipeline over a recording store; `settings` override config values. */
function compose(settings: Record<string, unknown>, parts: Partial<IngestParts> = {}) {
  const saved: string[] = [];
  const composed = composeIngestPipeline(loadConfig({}, settings), {
    store: recordingStore(saved),
    fanout: createMemoryFanoutBus(),
    management: { ingestHooks: { rejectEvent: [], onEventSaved: [] } },
    rateLimiter: localRateLimiters(),
    plugins: [],
    logger: pino({ level: 'silent' }),
    writers: 1,
    ...parts,
  });
  return { ...composed, saved };
}

test('ingest hooks: management, then the per-pubkey rate limit, then plugins (a banned author spends no token)', async () => {
  const banned = generateSecretKey();
  const author = generateSecretKey();
  const bannedPubkey = getPublicKey(banned);
  const seenByPlugin: string[] = [];
  const plugin: LoadedPlugin = {
    name: 'recorder',
    parts: {
      ingest: {
        rejectEvent: [
          (event: NostrEvent) => {
            seenByPlugin.push(event.id);
            return undefined;
          },
        ],
      },
    },
  };
  const { pipeline, saved } = compose(
    { RATE_EVENTS_PER_PUBKEY: 1, BURST_EVENTS_PER_PUBKEY: 1 },
    {
      management: {
        ingestHooks: {
          rejectEvent: [(event) => (event.pubkey === bannedPubkey ? 'blocked: banned' : undefined)],
          onEventSaved: [],
        },
      },
      // A frozen clock: each pubkey's one token never refills during the test.
      rateLimiter: localRateLimiters({ now: () => 0 }),
      plugins: [plugin],
    },
  );
  try {
    // Twice: were the rate limit first, the second would be answered rate-limited.
    for (const content of ['banned', 'banned again']) {
      const fromBanned = signedRaw({ content, created_at: nowSec() }, banned);
      assert.deepEqual(await pipeline.process(request(fromBanned)), { ok: false, reason: 'blocked: banned' });
    }
    assert.deepEqual(seenByPlugin, []);

    const first = signedRaw({ content: 'first', created_at: nowSec() }, author);
    assert.equal((await pipeline.process(request(first))).ok, true);
    assert.deepEqual(seenByPlugin, [first.event.id]);

    const second = signedRaw({ content: 'second', created_at: nowSec() }, author);
    const limited = await pipeline.process(request(second));
    assert.equal(limited.ok, false);
    assert.match(limited.reason, /^rate-limited: /);
    assert.deepEqual(seenByPlugin, [first.event.id], 'the rate limit refused before the plugin ran');
    assert.deepEqual(saved, [first.event.id]);
  } finally {
    await pipeline.close();
  }
});

test('the policy comes from CREATED_AT_UPPER_LIMIT, CREATED_AT_LOWER_LIMIT and MIN_POW_DIFFICULTY', async () => {
  const sk = generateSecretKey();
  const timed = compose({ CREATED_AT_UPPER_LIMIT: 60, CREATED_AT_LOWER_LIMIT: 3600 });
  const pow = compose({ MIN_POW_DIFFICULTY: 24 });
  try {
    const future = signedRaw({ created_at: nowSec() + 600 }, sk);
    assert.deepEqual(await timed.pipeline.process(request(future)), {
      ok: false,
      reason: 'invalid: created_at is more than 60 seconds in the future',
    });
    const old = signedRaw({ created_at: nowSec() - 7200 }, sk);
    assert.deepEqual(await timed.pipeline.process(request(old)), {
      ok: false,
      reason: 'invalid: created_at is more than 3600 seconds in the past',
    });
    const recent = signedRaw({ created_at: nowSec() - 600 }, sk);
    assert.equal((await timed.pipeline.process(request(recent))).ok, true);
    assert.deepEqual(timed.saved, [recent.event.id]);

    const noWork = signedRaw({ created_at: nowSec() }, sk);
    const refused = await pow.pipeline.process(request(noWork));
    assert.equal(refused.ok, false);
    assert.match(refused.reason, /^pow: difficulty \d+ is less than 24$/);
    assert.deepEqual(pow.saved, []);
  } finally {
    await timed.pipeline.close();
    await pow.pipeline.close();
  }
});

test('SIGNATURE_VERIFIER picks the verifier, which refuses a forged signature', async () => {
  const noble = compose({ SIGNATURE_VERIFIER: 'noble' });
  const wasm = compose({ SIGNATURE_VERIFIER: 'wasm' });
  try {
    assert.equal(noble.verifier, 'noble');
    assert.equal(wasm.verifier, 'tiny-secp256k1');
    const sk = generateSecretKey();
    const real = signedRaw({ content: 'real', created_at: nowSec() }, sk);
    const other = signedRaw({ content: 'other', created_at: nowSec() }, sk);
    const event = { ...real.event, sig: other.event.sig };
    const forged: RawEvent = { event, raw: JSON.stringify(event) };
    for (const { pipeline, saved } of [noble, wasm]) {
      const result = await pipeline.process(request(forged));
      assert.equal(result.ok, false);
      assert.match(result.reason, /^invalid: /);
      assert.deepEqual(saved, []);
    }
  } finally {
    await noble.pipeline.close();
    await wasm.pipeline.close();
  }
});
