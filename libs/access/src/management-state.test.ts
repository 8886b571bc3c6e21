import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NostrEvent } from '@nrelay/protocol';
import { createMemoryAccessChangeBus, decodeAccessChange } from './access-changes.js';
import { ipBlockMatcher, normalizeIpRule } from './ip-blocklist.js';
import { MemoryManagement, memoryLogger } from './management-fixtures.js';
import {
  managementIngestHooks,
  managementRejection,
  supportedNipsWithManagement,
} from './management-hooks.js';
import { loadAccessState } from './management-state.js';

const PK = (n: number) => n.toString(16).padStart(64, '0');

async function until(check: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function started(backend: MemoryManagement, followsOf: string[] = []) {
  const changes = createMemoryAccessChangeBus();
  const logger = memoryLogger();
  const state = await loadAccessState({
    source: backend,
    changes,
    followsOf,
    refreshIntervalMs: 60_000,
    logger,
  });
  return { state, changes, logger };
}

describe('management access state', () => {
  it('answers every lookup from the loaded snapshot', async () => {
    const backend = new MemoryManagement();
    await backend.setPubkeyLevel(PK(1), 'none');
    await backend.setPubkeyLevel(PK(2), 'admin');
    await backend.banEvent(PK(3));
    await backend.blockIp('10.0.0.0/8');
    await backend.blockIp('2001:db8::1');
    await backend.setRelayInfo('name', 'Renamed');
    const { state } = await started(backend);
    try {
      assert.equal(state.levelOf(PK(1)), 'none');
      assert.equal(state.levelOf(PK(2)), 'admin');
      assert.equal(state.levelOf(PK(4)), undefined);
      assert.equal(state.isEventBanned(PK(3)), true);
      assert.equal(state.isEventBanned(PK(4)), false);
      assert.equal(state.isKindAllowed(1), true);
      assert.equal(state.isIpBlocked('10.1.2.3'), true);
      assert.equal(state.isIpBlocked('::ffff:10.1.2.3'), true);
      assert.equal(state.isIpBlocked('11.0.0.1'), false);
      assert.equal(state.isIpBlocked('2001:0db8:0:0:0:0:0:1'), true);
      assert.equal(state.isIpBlocked('not an ip'), false);
      assert.deepEqual(state.relayInfo(), { name: 'Renamed' });
      assert.equal(state.relayInfo(), state.relayInfo(), 'the same object until the next reload');
      assert.equal(state.isFollowed(PK(1)), false);
    } finally {
      state.close();
    }
  });

  it('kind rules: an allowlist restricts, a disallowed kind is refused either way', async () => {
    const backend = new MemoryManagement();
    const { state } = await started(backend);
    try {
      await backend.disallowKind(4);
      await state.reload();
      assert.deepEqual([1, 4, 7].map(state.isKindAllowed), [true, false, true]);
      await backend.allowKind(1);
      await state.reload();
      assert.deepEqual([1, 4, 7].map(state.isKindAllowed), [true, false, false]);
      await backend.allowKind(4);
      await state.reload();
      assert.deepEqual([1, 4, 7].map(state.isKindAllowed), [true, true, false]);
    } finally {
      state.close();
    }
  });

  it('reloads on an announcement, and keeps the old state when a reload fails', async () => {
    const backend = new MemoryManagement();
    const { state, changes, logger } = await started(backend);
    try {
      await backend.setPubkeyLevel(PK(5), 'none');
      assert.equal(state.levelOf(PK(5)), undefined, 'not before the announcement');
      await changes.publish({ v: 1, what: 'acl' });
      await until(() => state.levelOf(PK(5)) === 'none', 'the ban');
      backend.fail = true;
      await state.reload();
      assert.equal(state.levelOf(PK(5)), 'none');
      assert.ok(logger.entries.some((e) => e.level === 'error' && /keeping the previous/.test(e.msg ?? '')));
      backend.fail = false;
      const before = state.relayInfo();
      await backend.setRelayInfo('description', 'new');
      await state.reload();
      assert.notEqual(state.relayInfo(), before);
      assert.deepEqual(state.relayInfo(), { description: 'new' });
    } finally {
      state.close();
    }
  });

  it('coalesces reloads: requests during a load share one later load that sees their changes', async () => {
    const backend = new MemoryManagement();
    const { state } = await started(backend);
    try {
      backend.loadDelayMs = 30;
      const loadsBefore = backend.loads;
      const first = state.reload();
      await new Promise((r) => setTimeout(r, 5));
      await backend.setPubkeyLevel(PK(6), 'read');
      await Promise.all([state.reload(), state.reload(), state.reload(), first]);
      assert.equal(backend.loads - loadsBefore, 2);
      assert.equal(state.levelOf(PK(6)), 'read');
    } finally {
      state.close();
    }
  });

  it('refuses to start when the snapshot cannot be read', async () => {
    const backend = new MemoryManagement();
    backend.fail = true;
    await assert.rejects(started(backend), /database unavailable/);
  });

  it('follows mode: loads the follow set, reloads it on a follows announcement and periodically', async () => {
    const backend = new MemoryManagement();
    backend.follows = [PK(7)];
    const changes = createMemoryAccessChangeBus();
    const state = await loadAccessState({
      source: backend,
      changes,
      followsOf: [PK(100)],
      refreshIntervalMs: 40,
      logger: memoryLogger(),
    });
    try {
      assert.equal(state.isFollowed(PK(7)), true);
      backend.follows = [PK(8)];
      await changes.publish({ v: 1, what: 'follows' });
      await until(() => state.isFollowed(PK(8)) && !state.isFollowed(PK(7)), 'the new follow list');
      backend.follows = [PK(9)];
      await backend.setPubkeyLevel(PK(9), 'read');
      await until(() => state.isFollowed(PK(9)) && state.levelOf(PK(9)) === 'read', 'the periodic reload');
    } finally {
      state.close();
    }
    const off = await started(new MemoryManagement());
    assert.equal(off.state.isFollowed(PK(7)), false);
    off.state.close();
  });
});

describe('ingest hooks of the management state', () => {
  const event = (pubkey: string, kind = 1, id = PK(0xeee)): NostrEvent => ({
    id,
    pubkey,
    kind,
    created_at: 1,
    tags: [],
    content: '',
    sig: '0'.repeat(128),
  });

  it('refuses banned events, banned authors and disallowed kinds; admins pass the kind rules', async () => {
    const backend = new MemoryManagement();
    await backend.setPubkeyLevel(PK(1), 'none');
    await backend.setPubkeyLevel(PK(2), 'admin');
    await backend.banEvent(PK(0xbad));
    await backend.disallowKind(7);
    const { state, changes } = await started(backend);
    try {
      const admins = new Set([PK(3), PK(1)]);
      assert.match(managementRejection(state, admins, event(PK(9), 1, PK(0xbad))) ?? '', /^blocked: .*event/);
      assert.match(managementRejection(state, new Set(), event(PK(1))) ?? '', /^blocked: .*author/);
      // A banned author may still vanish (NIP-62).
      assert.equal(managementRejection(state, new Set(), event(PK(1), 62)), undefined);
      assert.equal(
        managementRejection(state, admins, event(PK(1))),
        undefined,
        'a configured admin is never banned',
      );
      assert.match(managementRejection(state, admins, event(PK(9), 7)) ?? '', /^blocked: kind 7/);
      assert.equal(managementRejection(state, admins, event(PK(2), 7)), undefined);
      assert.equal(managementRejection(state, admins, event(PK(3), 7)), undefined);
      assert.equal(managementRejection(state, admins, event(PK(9))), undefined);
      const hooks = managementIngestHooks(state, { admins: [], changes });
      assert.equal(hooks.onEventSaved.length, 0, 'no follows mode, no announcements');
      assert.match(hooks.rejectEvent[0]!(event(PK(1))) ?? '', /^blocked:/);
    } finally {
      state.close();
    }
  });

  it("announces an admin's stored kind 3 in follows mode, and nothing else", async () => {
    const changes = createMemoryAccessChangeBus();
    const seen: string[] = [];
    changes.subscribe((c) => seen.push(c.what));
    const hooks = managementIngestHooks(
      { ...(await started(new MemoryManagement())).state },
      { admins: [PK(3)], followsOf: [PK(3)], changes },
    );
    const onSaved = hooks.onEventSaved[0]!;
    onSaved(event(PK(3), 1));
    onSaved(event(PK(4), 3));
    onSaved(event(PK(3), 3));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['follows']);
  });

  it('advertises NIP-86 only with admins; announcements decode strictly', () => {
    assert.deepEqual(supportedNipsWithManagement([11, 1], []), [1, 11]);
    assert.deepEqual(supportedNipsWithManagement([11, 1], [PK(1)]), [1, 11, 86]);
    assert.deepEqual(decodeAccessChange('{"v":1,"what":"acl"}'), { v: 1, what: 'acl' });
    assert.deepEqual(decodeAccessChange('{"v":1,"what":"events"}'), { v: 1, what: 'events' });
    assert.equal(decodeAccessChange('{"v":2,"what":"acl"}'), undefined);
    assert.equal(decodeAccessChange('{"v":1,"what":"x"}'), undefined);
    assert.equal(decodeAccessChange('nope'), undefined);
  });

  it('blockip rules: canonical text, CIDRs of both families, nonsense refused', () => {
    assert.equal(normalizeIpRule(' 203.0.113.7 '), '203.0.113.7');
    assert.equal(normalizeIpRule('::FFFF:203.0.113.7'), '203.0.113.7');
    assert.equal(normalizeIpRule('2001:DB8:0::1'), '2001:db8::1');
    assert.equal(normalizeIpRule('2001:db8::/032'), '2001:db8::/32');
    assert.equal(normalizeIpRule('10.0.0.0/8'), '10.0.0.0/8');
    for (const bad of ['', 'example.com', '10.0.0.0/33', '1.2.3', '2001:db8::/129', '10.0.0.0/x']) {
      assert.equal(normalizeIpRule(bad), undefined, bad);
    }
    const blocked = ipBlockMatcher(['10.0.0.0/8', '2001:db8::/32', 'garbage']);
    assert.deepEqual(['10.255.0.1', '11.0.0.1', '2001:db8:1::5', '2001:db9::1'].map(blocked), [
      true,
      false,
      true,
      false,
    ]);
    assert.equal(ipBlockMatcher([])('10.0.0.1'), false);
  });
});
