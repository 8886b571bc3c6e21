import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createIngestRateLimitHooks, RATE_LIMIT_REASONS } from '@nrelay/access';
import { loadConfig } from '@nrelay/config';
import type { RawEvent } from '@nrelay/protocol';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';
import { signedRaw } from '@nrelay/testkit';
import { generateSecretKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { createIngestPipeline } from './pipeline.js';
import type { IngestHooks } from './types.js';

const nowSec = Math.floor(Date.now() / 1000);

function raw(content: string, sk = generateSecretKey()): RawEvent {
  return signedRaw({ content, created_at: nowSec }, sk);
}

function request(event: RawEvent): IngestRequest {
  return { v: 1, event, receivedAt: Date.now(), gatewayId: 'g', connectionId: 'c', authedPubkeys: [] };
}

function pipelineWith(hooks: Partial<IngestHooks>) {
  const saved: string[] = [];
  const store = {
    async save(events: RawEvent[]): Promise<SaveOutcome[]> {
      for (const e of events) saved.push(e.event.content);
      return events.map(() => ({ status: 'stored' as const }));
    },
  };
  const pipeline = createIngestPipeline({
    store,
    fanout: createMemoryFanoutBus(),
    logger: pino({ level: 'silent' }),
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
    hooks,
  });
  return { pipeline, saved };
}

test('async rejectEvent hooks: awaited in order, reasons prefixed, a failure refuses with error:', async () => {
  const order: string[] = [];
  const { pipeline, saved } = pipelineWith({
    rejectEvent: [
      async (event) => {
        order.push(`a:${event.content}`);
        await new Promise((r) => setImmediate(r));
        return event.content === 'slow spam' ? 'spam' : undefined;
      },
      (event) => {
        order.push(`b:${event.content}`);
        if (event.content === 'bug') throw new Error('plugin bug');
        return undefined;
      },
    ],
  });
  assert.deepEqual(await pipeline.process(request(raw('slow spam'))), { ok: false, reason: 'blocked: spam' });
  assert.deepEqual(await pipeline.process(request(raw('bug'))), {
    ok: false,
    reason: 'error: internal error',
  });
  assert.deepEqual(await pipeline.process(request(raw('fine'))), { ok: true, reason: '' });
  assert.deepEqual(order, ['a:slow spam', 'a:bug', 'b:bug', 'a:fine', 'b:fine']);
  assert.deepEqual(saved, ['fine']);
});

test('EVENTs per pubkey: counted after the signature check, so forgeries spend nothing', async () => {
  const config = loadConfig({}, { RATE_EVENTS_PER_PUBKEY: 1, BURST_EVENTS_PER_PUBKEY: 2 });
  const { pipeline } = pipelineWith(createIngestRateLimitHooks(config));
  const sk = generateSecretKey();
  const victim = raw('first', sk);
  // Forged events claiming the victim's pubkey: refused by the signature check, before the bucket.
  for (let i = 0; i < 5; i++) {
    const forged = { ...victim, event: { ...victim.event, sig: 'f'.repeat(128) } };
    assert.equal((await pipeline.process(request(forged))).reason, 'invalid: bad signature');
  }
  assert.equal((await pipeline.process(request(victim))).ok, true);
  assert.equal((await pipeline.process(request(raw('second', sk)))).ok, true);
  assert.deepEqual(await pipeline.process(request(raw('third', sk))), {
    ok: false,
    reason: RATE_LIMIT_REASONS.eventsPerPubkey,
  });
  assert.equal((await pipeline.process(request(raw('someone else')))).ok, true);
});
