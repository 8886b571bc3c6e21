import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NostrEvent } from '@nrelay/protocol';
import {
  type AccessMode,
  type AccessPolicy,
  accessLimitation,
  authChallengeTiming,
  canRead,
  canWrite,
  checkProtectedEvent,
  effectiveLevel,
  mayReceivePrivileged,
  onlyPrivilegedKinds,
} from './policy.js';
import type { AccessLevel, AccessState } from './state.js';

// Pubkeys by role (not real keys: decisions never verify signatures).
const ADMIN = 'ad'.repeat(32);
const STATE_ADMIN = 'a5'.repeat(32);
const WRITER = 'e0'.repeat(32);
const READER = 'ee'.repeat(32);
const FOLLOWED = 'f0'.repeat(32);
const BANNED = 'b0'.repeat(32);
const BANNED_FOLLOWED = 'bf'.repeat(32);
const STRANGER = '50'.repeat(32);
const BANNED_EVENT = '99'.repeat(32);
const DISALLOWED_KIND = 7;

const levels: Record<string, AccessLevel> = {
  [STATE_ADMIN]: 'admin',
  [WRITER]: 'write',
  [READER]: 'read',
  [BANNED]: 'none',
  [BANNED_FOLLOWED]: 'none',
};
const state: AccessState = {
  levelOf: (pk) => levels[pk],
  isFollowed: (pk) => pk === FOLLOWED || pk === BANNED_FOLLOWED,
  isEventBanned: (id) => id === BANNED_EVENT,
  isKindAllowed: (kind) => kind !== DISALLOWED_KIND,
  isIpBlocked: () => false,
  relayInfo: () => ({}),
};
const MODES: AccessMode[] = ['open', 'auth-read', 'auth-write', 'auth-all', 'allowlist', 'follows'];
const policy = (mode: AccessMode): AccessPolicy => ({ mode, admins: new Set([ADMIN]), state });
const conn = (...pubkeys: string[]) => ({ authedPubkeys: new Set(pubkeys) });
const event = (pubkey: string, fields: Partial<NostrEvent> = {}): NostrEvent => ({
  id: '11'.repeat(32),
  pubkey,
  created_at: 1,
  kind: 1,
  tags: [],
  content: '',
  sig: '00'.repeat(64),
  ...fields,
});

/** The answer's prefix: 'ok', 'auth-required', 'restricted' or 'blocked'. */
const verdict = (reason: string | undefined) => (reason === undefined ? 'ok' : reason.split(':')[0]);

type Row = Record<AccessMode, string[]>;

describe('canRead: every cell of the read table (docs/access-control.md)', () => {
  const columns = [
    ['anonymous', conn()],
    ['authed, no level', conn(STRANGER)],
    ['authed read', conn(READER)],
    ['authed write', conn(WRITER)],
    ['authed admin (ADMIN_PUBKEYS)', conn(ADMIN)],
    ['authed admin (state)', conn(STATE_ADMIN)],
    ['authed followed', conn(FOLLOWED)],
    ['authed banned', conn(BANNED)],
    ['authed banned + followed', conn(BANNED_FOLLOWED)],
    ['authed banned and read', conn(BANNED, READER)],
  ] as const;
  const ok = 'ok';
  const AR = 'auth-required';
  const R = 'restricted';
  const B = 'blocked';
  const table: Row = {
    open: [ok, ok, ok, ok, ok, ok, ok, B, B, ok],
    'auth-write': [ok, ok, ok, ok, ok, ok, ok, B, B, ok],
    'auth-read': [AR, ok, ok, ok, ok, ok, ok, B, B, ok],
    'auth-all': [AR, ok, ok, ok, ok, ok, ok, B, B, ok],
    allowlist: [AR, R, ok, ok, ok, ok, R, B, B, ok],
    follows: [AR, R, ok, ok, ok, ok, ok, B, B, ok],
  };
  for (const mode of MODES) {
    it(mode, () => {
      const got = columns.map(([, c]) => verdict(canRead(policy(mode), c)));
      assert.deepEqual(
        Object.fromEntries(columns.map(([name], i) => [name, got[i]])),
        Object.fromEntries(columns.map(([name], i) => [name, table[mode][i]])),
      );
    });
  }
});

describe('canWrite: every cell of the write table', () => {
  const columns = [
    ['anonymous, author no level', conn(), STRANGER],
    ['authed, author no level', conn(STRANGER), STRANGER],
    ['authed, author read', conn(READER), READER],
    ['anonymous, author write', conn(), WRITER],
    ['authed as other, author write', conn(STRANGER), WRITER],
    ['authed, author followed', conn(FOLLOWED), FOLLOWED],
    ['anonymous, author admin', conn(), ADMIN],
    ['authed, author state admin', conn(STATE_ADMIN), STATE_ADMIN],
  ] as const;
  const ok = 'ok';
  const AR = 'auth-required';
  const R = 'restricted';
  const table: Row = {
    open: [ok, ok, R, ok, ok, ok, ok, ok],
    'auth-read': [ok, ok, R, ok, ok, ok, ok, ok],
    'auth-write': [AR, ok, R, AR, ok, ok, AR, ok],
    'auth-all': [AR, ok, R, AR, ok, ok, AR, ok],
    allowlist: [R, R, R, ok, ok, R, ok, ok],
    follows: [R, R, R, ok, ok, ok, ok, ok],
  };
  for (const mode of MODES) {
    it(mode, () => {
      const got = columns.map(([, c, author]) => verdict(canWrite(policy(mode), event(author), c)));
      assert.deepEqual(
        Object.fromEntries(columns.map(([name], i) => [name, got[i]])),
        Object.fromEntries(columns.map(([name], i) => [name, table[mode][i]])),
      );
    });
  }

  it('in every mode: a NIP-62 request to vanish passes, whatever its author’s status', () => {
    for (const mode of MODES) {
      for (const author of [BANNED, READER, STRANGER]) {
        const request = event(author, { kind: 62, tags: [['relay', 'ALL_RELAYS']] });
        assert.equal(canWrite(policy(mode), request, conn()), undefined, `${mode}, ${author}`);
      }
    }
  });

  it('in every mode: banned author, banned event, disallowed kind, banned connection are blocked', () => {
    for (const mode of MODES) {
      const p = policy(mode);
      const admin = conn(ADMIN);
      assert.match(canWrite(p, event(BANNED), admin) ?? '', /^blocked: the author .* banned/, mode);
      assert.match(
        canWrite(p, event(BANNED_FOLLOWED), admin) ?? '',
        /^blocked:/,
        `${mode}: explicit ban beats follows`,
      );
      assert.match(
        canWrite(p, event(WRITER, { id: BANNED_EVENT }), admin) ?? '',
        /^blocked: this event is banned/,
      );
      assert.match(canWrite(p, event(WRITER, { kind: DISALLOWED_KIND }), admin) ?? '', /^blocked: kind 7 /);
      assert.match(canWrite(p, event(WRITER), conn(BANNED)) ?? '', /^blocked:/, `${mode}: banned connection`);
      // Admins are exempt from the kind allowlist (their kind 3 feeds the follows mode).
      assert.equal(canWrite(p, event(ADMIN, { kind: DISALLOWED_KIND }), admin), undefined, mode);
      assert.equal(canWrite(p, event(STATE_ADMIN, { kind: DISALLOWED_KIND }), admin), undefined, mode);
    }
  });
});

describe('effectiveLevel', () => {
  it('ADMIN_PUBKEYS beat the state; explicit levels beat follows; follows only in follows mode', () => {
    const adminBannedInState: AccessPolicy = {
      mode: 'allowlist',
      admins: new Set([BANNED]),
      state,
    };
    assert.equal(effectiveLevel(adminBannedInState, BANNED), 'admin');
    assert.equal(effectiveLevel(policy('follows'), FOLLOWED), 'write');
    assert.equal(effectiveLevel(policy('allowlist'), FOLLOWED), undefined);
    assert.equal(effectiveLevel(policy('follows'), BANNED_FOLLOWED), 'none');
    assert.equal(effectiveLevel(policy('open'), STRANGER), undefined);
  });
});

describe('NIP-70 protected events', () => {
  const protectedEvent = event(WRITER, { tags: [['-']] });
  it('accepted only from a connection authenticated as the author', () => {
    assert.equal(checkProtectedEvent(protectedEvent, conn(WRITER)), undefined);
    assert.equal(checkProtectedEvent(protectedEvent, conn(STRANGER, WRITER)), undefined);
    assert.match(checkProtectedEvent(protectedEvent, conn()) ?? '', /^auth-required: /);
    assert.match(checkProtectedEvent(protectedEvent, conn(STRANGER)) ?? '', /^restricted: /);
  });
  it('unprotected events pass', () => {
    assert.equal(checkProtectedEvent(event(WRITER, { tags: [['p', STRANGER]] }), conn()), undefined);
  });
});

describe('privileged events', () => {
  const dm = event(WRITER, { kind: 4, tags: [['p', READER]] });
  it('only the author or a p-tagged pubkey may receive them', () => {
    assert.equal(mayReceivePrivileged(dm, new Set()), false);
    assert.equal(mayReceivePrivileged(dm, new Set([STRANGER])), false);
    assert.equal(mayReceivePrivileged(dm, new Set([WRITER])), true);
    assert.equal(mayReceivePrivileged(dm, new Set([STRANGER, READER])), true);
    assert.equal(mayReceivePrivileged(event(WRITER, { tags: [['e', READER]] }), new Set([READER])), false);
  });

  it('onlyPrivilegedKinds: every filter names kinds and all are privileged', () => {
    const kinds = new Set([4, 1059]);
    assert.equal(onlyPrivilegedKinds([{ kinds: [4] }], kinds), true);
    assert.equal(
      onlyPrivilegedKinds([{ kinds: [4, 1059] }, { kinds: [1059], authors: [WRITER] }], kinds),
      true,
    );
    assert.equal(onlyPrivilegedKinds([{ kinds: [4] }, { kinds: [1] }], kinds), false);
    assert.equal(onlyPrivilegedKinds([{ kinds: [4] }, { authors: [WRITER] }], kinds), false);
    assert.equal(onlyPrivilegedKinds([{ kinds: [] }], kinds), false);
    assert.equal(onlyPrivilegedKinds([{ ids: [dm.id] }], kinds), false);
    assert.equal(onlyPrivilegedKinds([{ kinds: [4] }], new Set()), false, 'off when the set is empty');
  });
});

describe('mode properties', () => {
  it('AUTH challenge on connect by default, lazily only on an open relay set to on-demand', () => {
    assert.deepEqual(
      MODES.map((m) => authChallengeTiming(m)),
      MODES.map(() => 'on-connect'),
    );
  });
  it('with AUTH_CHALLENGE=on-demand the challenge is lazy only when open; NIP-11 flags', () => {
    assert.deepEqual(
      MODES.map((m) => [m, authChallengeTiming(m, 'on-demand'), accessLimitation(m)]),
      [
        ['open', 'on-demand', { auth_required: false, restricted_writes: false }],
        ['auth-read', 'on-connect', { auth_required: true, restricted_writes: false }],
        ['auth-write', 'on-connect', { auth_required: false, restricted_writes: true }],
        ['auth-all', 'on-connect', { auth_required: true, restricted_writes: true }],
        ['allowlist', 'on-connect', { auth_required: true, restricted_writes: true }],
        ['follows', 'on-connect', { auth_required: true, restricted_writes: true }],
      ],
    );
  });
});
