import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { createManagementStore, type ManagementStore } from '../management.js';
import type { TestBackend, TestStore } from './backends.js';
import { ev, hex, ids } from './events.js';

/** Management tables and ban quarantine, on one backend. */
export function managementSuite(backend: TestBackend): void {
  describe(`management state and bans (${backend.name})`, () => {
    let t: TestStore;
    let m: ManagementStore;
    before(async () => {
      t = await backend.open();
      m = createManagementStore(t.database.db);
    });
    after(async () => {
      await t?.dispose();
    });

    async function quarantined(): Promise<number> {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from quarantined_events`.execute(
        t.database.db,
      );
      return rows[0]!.n;
    }

    it('banning a pubkey hides its stored events from every read path; unbanning restores them', async () => {
      const spammer = hex(1, 'ba');
      const other = hex(2, 'ba');
      const note = ev({ pubkey: spammer, kind: 1, content: 'buy coins now', tags: [['t', 'spamtag']] });
      const profile = ev({ pubkey: spammer, kind: 0, content: '{}' });
      const fine = ev({ pubkey: other, kind: 1, content: 'buy coins never', tags: [['t', 'spamtag']] });
      await t.store.save([note, profile, fine]);
      const before = await quarantined();

      const change = await m.setPubkeyLevel(spammer, 'none', 'spam');
      assert.deepEqual(change, { hidden: 2, restored: 0 });
      assert.equal(await quarantined(), before + 2);
      assert.deepEqual(await ids(t.store, { authors: [spammer] }), []);
      assert.deepEqual(await ids(t.store, { ids: [note.event.id, profile.event.id] }), []);
      assert.deepEqual(await ids(t.store, { '#t': ['spamtag'] }), [fine.event.id]);
      assert.deepEqual(await ids(t.store, { '#t': ['spamtag'], kinds: [1] }), [fine.event.id]);
      assert.deepEqual(await ids(t.store, { search: 'coins' }), [fine.event.id]);
      assert.equal(await t.store.count([{ authors: [spammer] }]), 0);
      assert.equal(await t.store.count([{ '#t': ['spamtag'] }]), 1);
      assert.deepEqual(await m.listPubkeyLevels(['none']), [
        { pubkey: spammer, level: 'none', reason: 'spam' },
      ]);

      const lifted = await m.removePubkeyLevel(spammer, ['none']);
      assert.deepEqual(lifted, { hidden: 0, restored: 2 });
      assert.equal(await quarantined(), before);
      assert.deepEqual(
        (await ids(t.store, { authors: [spammer] })).sort(),
        [note.event.id, profile.event.id].sort(),
      );
      assert.equal(await t.store.count([{ '#t': ['spamtag'] }]), 2);
      assert.deepEqual(await ids(t.store, { search: 'coins' }), [fine.event.id, note.event.id].sort());
      assert.deepEqual(await m.listPubkeyLevels(['none']), []);
    });

    it('allowpubkey lifts a ban (restoring) and keeps an admin an admin; unallow removes the rule', async () => {
      const pk = hex(3, 'ba');
      const admin = hex(4, 'ba');
      const e = ev({ pubkey: pk });
      await t.store.save([e]);
      await m.setPubkeyLevel(pk, 'none');
      assert.deepEqual(await ids(t.store, { authors: [pk] }), []);
      assert.deepEqual(await m.allowPubkey(pk, 'forgiven'), { hidden: 0, restored: 1 });
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [e.event.id]);
      await m.setPubkeyLevel(admin, 'admin');
      await m.allowPubkey(admin);
      const allowed = await m.listPubkeyLevels(['read', 'write', 'admin']);
      assert.deepEqual(
        allowed
          .filter((a) => a.pubkey === pk || a.pubkey === admin)
          .sort((a, b) => (a.pubkey < b.pubkey ? -1 : 1)),
        [
          { pubkey: pk, level: 'write', reason: 'forgiven' },
          { pubkey: admin, level: 'admin', reason: null },
        ],
      );
      // unbanpubkey of a pubkey that is not banned changes nothing.
      await m.removePubkeyLevel(pk, ['none']);
      assert.equal(
        (await m.listPubkeyLevels(['write'])).some((a) => a.pubkey === pk),
        true,
      );
      await m.removePubkeyLevel(pk, ['read', 'write', 'admin']);
      assert.equal(
        (await m.listPubkeyLevels(['write'])).some((a) => a.pubkey === pk),
        false,
      );
    });

    it('banevent hides one event (stored or not); unban restores it unless its author is banned', async () => {
      const pk = hex(5, 'ba');
      const a = ev({ pubkey: pk, tags: [['e', hex(77)]] });
      const b = ev({ pubkey: pk });
      await t.store.save([a, b]);
      assert.equal(await m.banEvent(a.event.id, 'illegal'), 1);
      assert.equal(await m.banEvent(hex(404, 'ee'), 'pre-emptive'), 0);
      assert.deepEqual(await ids(t.store, { authors: [pk] }), [b.event.id]);
      assert.deepEqual(await ids(t.store, { '#e': [hex(77)] }), []);
      assert.deepEqual(await m.listBannedEvents(), [
        { id: a.event.id, reason: 'illegal' },
        { id: hex(404, 'ee'), reason: 'pre-emptive' },
      ]);
      // A banned event submitted again is not the store's business (ingest refuses it), but
      // while its author is banned too, lifting the event ban alone keeps it hidden.
      await m.setPubkeyLevel(pk, 'none');
      assert.equal(await m.unbanEvent(a.event.id), 0);
      assert.deepEqual(await ids(t.store, { ids: [a.event.id] }), []);
      assert.deepEqual((await m.setPubkeyLevel(pk, 'write')).restored, 2);
      assert.deepEqual((await ids(t.store, { authors: [pk] })).sort(), [a.event.id, b.event.id].sort());
      assert.equal(await m.unbanEvent(hex(404, 'ee')), 0);
      assert.deepEqual(await m.listBannedEvents(), []);
    });

    it('a restore goes through the write path: a newer replaceable version or a deletion wins', async () => {
      const pk = hex(6, 'ba');
      const v1 = ev({ pubkey: pk, kind: 0, created_at: 100, content: 'v1' });
      const v2 = ev({ pubkey: pk, kind: 0, created_at: 200, content: 'v2' });
      const note = ev({ pubkey: pk, kind: 1 });
      await t.store.save([v1, note]);
      await m.banEvent(v1.event.id);
      await m.banEvent(note.event.id);
      await t.store.save([v2]);
      const deletion = ev({ pubkey: pk, kind: 5, tags: [['e', note.event.id]] });
      await t.store.save([deletion]);
      await m.unbanEvent(v1.event.id);
      await m.unbanEvent(note.event.id);
      assert.deepEqual(
        (await ids(t.store, { authors: [pk] })).sort(),
        [deletion.event.id, v2.event.id].sort(),
      );
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from quarantined_events where pubkey = ${pk}`.execute(t.database.db);
      assert.equal(rows[0]!.n, 0, 'settled events leave the quarantine');
    });

    it('kind rules: allowkind starts an allowlist, disallowkind always refuses, allowkind undoes it', async () => {
      await m.disallowKind(4);
      assert.deepEqual(await m.listKindRules(), [{ kind: 4, allowed: false }]);
      await m.allowKind(4); // lifting the only rule: back to "all kinds"
      assert.deepEqual(await m.listKindRules(), []);
      await m.allowKind(1);
      await m.allowKind(7);
      await m.disallowKind(7);
      assert.deepEqual(await m.listKindRules(), [
        { kind: 1, allowed: true },
        { kind: 7, allowed: false },
      ]);
      await m.allowKind(7); // an allowlist is in force: 7 joins it
      assert.deepEqual(await m.listKindRules(), [
        { kind: 1, allowed: true },
        { kind: 7, allowed: true },
      ]);
      await m.disallowKind(1);
      await m.disallowKind(7);
      await m.allowKind(1);
      await m.allowKind(7);
      await sql`delete from kind_rules`.execute(t.database.db);
    });

    it('blocked IPs, relay info overrides and the snapshot every process loads', async () => {
      await m.blockIp('203.0.113.7', 'abuse');
      await m.blockIp('2001:db8::/32', null);
      await m.blockIp('203.0.113.7', 'abuse again');
      assert.deepEqual(
        (await m.listBlockedIps()).sort((a, b) => (a.ip < b.ip ? -1 : 1)),
        [
          { ip: '2001:db8::/32', reason: null },
          { ip: '203.0.113.7', reason: 'abuse again' },
        ],
      );
      assert.equal(await m.unblockIp('2001:db8::/32'), true);
      assert.equal(await m.unblockIp('2001:db8::/32'), false);
      await m.setRelayInfo('name', 'Renamed');
      await m.setRelayInfo('icon', 'https://example.com/a.png');
      await m.setRelayInfo('icon', null);
      await m.disallowKind(9);
      await m.banEvent(hex(9, 'ee'));
      await m.setPubkeyLevel(hex(9, 'ba'), 'read');
      const snap = await m.loadSnapshot();
      const { self, ...changed } = snap.relayInfo;
      assert.deepEqual(changed, { name: 'Renamed' });
      assert.match(self ?? '', /^[0-9a-f]{64}$/, 'the identity made by migration 0005 is in every snapshot');
      assert.deepEqual(snap.blockedIps, ['203.0.113.7']);
      assert.deepEqual(snap.kindRules, [{ kind: 9, allowed: false }]);
      assert.ok(snap.bannedEvents.includes(hex(9, 'ee')));
      assert.ok(snap.pubkeys.some((p) => p.pubkey === hex(9, 'ba') && p.level === 'read'));
      await m.allowKind(9);
      await m.unbanEvent(hex(9, 'ee'));
    });

    it('follows: the p tags of the latest kind 3 of each admin', async () => {
      const admin1 = hex(10, 'ad');
      const admin2 = hex(11, 'ad');
      const stranger = hex(12, 'ad');
      const [f1, f2, f3, f4] = [hex(1, 'f0'), hex(2, 'f0'), hex(3, 'f0'), hex(4, 'f0')];
      await t.store.save([
        ev({ pubkey: admin1, kind: 3, created_at: 100, tags: [['p', f4]] }),
        ev({
          pubkey: admin1,
          kind: 3,
          created_at: 200,
          tags: [
            ['p', f1],
            ['p', f2],
            ['p', 'not-hex'],
            ['t', f3],
          ],
        }),
        ev({
          pubkey: admin2,
          kind: 3,
          created_at: 100,
          tags: [
            ['p', f2],
            ['p', f3],
          ],
        }),
        ev({ pubkey: stranger, kind: 3, created_at: 100, tags: [['p', f4]] }),
      ]);
      assert.deepEqual((await m.loadFollows([admin1, admin2])).sort(), [f1, f2, f3].sort());
      assert.deepEqual(await m.loadFollows([]), []);
    });
  });
}
