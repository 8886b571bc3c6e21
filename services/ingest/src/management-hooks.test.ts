import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AccessChange,
  createMemoryAccessChangeBus,
  EMPTY_ACCESS_STATE,
  managementIngestHooks,
} from '@nrelay/access';
import type { RawEvent } from '@nrelay/protocol';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';
import { signedRaw } from '@nrelay/testkit';
import { generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { pino } from 'pino';
import { createIngestPipeline } from './pipeline.js';

const nowSec = Math.floor(Date.now() / 1000);

function raw(sk: Uint8Array, kind = 1): RawEvent {
  return signedRaw({ kind, content: `k${kind}`, created_at: nowSec }, sk);
}

function request(event: RawEvent): IngestRequest {
  return { v: 1, event, receivedAt: Date.now(), gatewayId: 'g', connectionId: 'c', authedPubkeys: [] };
}

test('ingest refuses what the management state bans, whatever the gateway checked', async () => {
  const banned = generateSecretKey();
  const admin = generateSecretKey();
  const other = generateSecretKey();
  const state = {
    ...EMPTY_ACCESS_STATE,
    levelOf: (pk: string) => (pk === getPublicKey(banned) ? ('none' as const) : undefined),
    isKindAllowed: (kind: number) => kind !== 7,
  };
  const changes = createMemoryAccessChangeBus();
  const announced: AccessChange[] = [];
  changes.subscribe((c) => announced.push(c));
  const hooks = managementIngestHooks(state, {
    admins: [getPublicKey(admin)],
    followsOf: [getPublicKey(admin)],
    changes,
  });
  const saved: string[] = [];
  const pipeline = createIngestPipeline({
    store: {
      async save(events: RawEvent[]): Promise<SaveOutcome[]> {
        for (const e of events) saved.push(e.event.id);
        return events.map(() => ({ status: 'stored' as const }));
      },
    },
    fanout: createMemoryFanoutBus(),
    logger: pino({ level: 'silent' }),
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
    hooks,
  });
  try {
    const fromBanned = await pipeline.process(request(raw(banned)));
    assert.equal(fromBanned.ok, false);
    assert.match(fromBanned.reason, /^blocked: /);
    const kind7 = await pipeline.process(request(raw(other, 7)));
    assert.equal(kind7.ok, false);
    assert.match(kind7.reason, /^blocked: kind 7/);
    const fine = raw(other);
    assert.deepEqual(await pipeline.process(request(fine)), { ok: true, reason: '' });
    assert.deepEqual(saved, [fine.event.id]);
    // follows mode: an admin's stored kind 3 is announced so every process reloads its follows.
    assert.equal((await pipeline.process(request(raw(admin, 3)))).ok, true);
    assert.deepEqual(announced, [{ v: 1, what: 'follows' }]);
  } finally {
    await pipeline.close();
  }
});
