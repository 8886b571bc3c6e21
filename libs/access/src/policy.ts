/**
 * Pure access decisions: who may read, who may publish what, NIP-70 protected events and the
 * visibility of privileged (private) events. No I/O: every input is an argument, so the whole
 * table in docs/access-control.md is unit-tested cell by cell. A decision is `undefined`
 * (allowed) or a NIP-01 prefixed reason: `auth-required:`, `restricted:` or `blocked:`.
 */
import { type Filter, type NostrEvent, VANISH_KIND } from '@nrelay/protocol';
import type { AccessLevel, AccessState } from './state.js';

/** The ACCESS_MODE setting. */
export type AccessMode = 'open' | 'auth-read' | 'auth-write' | 'auth-all' | 'allowlist' | 'follows';

/** Everything a decision depends on besides the connection and the event. */
export interface AccessPolicy {
  readonly mode: AccessMode;
  /** ADMIN_PUBKEYS: always `admin`, whatever the state says (an admin cannot lock itself out). */
  readonly admins: ReadonlySet<string>;
  /** The live access state (levels, bans, kinds, follows). */
  readonly state: AccessState;
}

/** What a decision needs to know of a connection. */
export interface AccessViewer {
  readonly authedPubkeys: ReadonlySet<string>;
}

const RANK: Record<AccessLevel, number> = { none: 0, read: 1, write: 2, admin: 3 };

/** Reasons, fixed strings so clients and tests can rely on them. */
export const REASONS = {
  authToRead: 'auth-required: this relay serves events only to authenticated users',
  authToWrite: 'auth-required: this relay accepts events only from authenticated users',
  bannedReader: 'blocked: the authenticated pubkey is banned on this relay',
  notAllowedReader: 'restricted: the authenticated pubkey may not read from this relay',
  bannedEvent: 'blocked: this event is banned on this relay',
  bannedAuthor: 'blocked: the author of this event is banned on this relay',
  notAllowedAuthor: 'restricted: the author of this event may not publish to this relay',
  readOnlyAuthor: 'restricted: the author of this event may read but not publish on this relay',
  protectedNoAuth: 'auth-required: this event is protected (NIP-70); authenticate as its author',
  protectedOther: 'restricted: this event is protected (NIP-70); only its author may publish it',
  privilegedOnly:
    'auth-required: these kinds are private; they are served only to their author or p-tagged recipients once authenticated',
} as const;

/**
 * The effective level of a pubkey: `admin` for ADMIN_PUBKEYS, else its explicit level in the
 * state, else (follows mode) `write` when an admin follows it; undefined when nothing names it.
 */
export function effectiveLevel(policy: AccessPolicy, pubkey: string): AccessLevel | undefined {
  if (policy.admins.has(pubkey)) return 'admin';
  const explicit = policy.state.levelOf(pubkey);
  if (explicit !== undefined) return explicit;
  if (policy.mode === 'follows' && policy.state.isFollowed(pubkey)) return 'write';
  return undefined;
}

/** The highest effective level among the connection's pubkeys (`undefined` if none has one). */
function bestLevel(policy: AccessPolicy, pubkeys: ReadonlySet<string>): AccessLevel | undefined {
  let best: AccessLevel | undefined;
  for (const pubkey of pubkeys) {
    const level = effectiveLevel(policy, pubkey);
    if (level !== undefined && (best === undefined || RANK[level] > RANK[best])) best = level;
  }
  return best;
}

/** Authenticated, and every authenticated pubkey is banned (level `none`). */
function onlyBanned(policy: AccessPolicy, pubkeys: ReadonlySet<string>): boolean {
  if (pubkeys.size === 0) return false;
  for (const pubkey of pubkeys) if (effectiveLevel(policy, pubkey) !== 'none') return false;
  return true;
}

/** Whether the mode requires authentication before reading. */
export function modeRequiresAuthToRead(mode: AccessMode): boolean {
  return mode !== 'open' && mode !== 'auth-write';
}

/** Whether the mode restricts who may publish (NIP-11 `restricted_writes`). */
export function modeRestrictsWrites(mode: AccessMode): boolean {
  return mode !== 'open' && mode !== 'auth-read';
}

/**
 * May this connection read (REQ, COUNT)? `open`/`auth-write`: anyone; `auth-read`/`auth-all`:
 * any authenticated pubkey; `allowlist`/`follows`: an authenticated pubkey whose level is at
 * least `read`. A connection authenticated only as banned pubkeys is blocked in every mode.
 */
export function canRead(policy: AccessPolicy, conn: AccessViewer): string | undefined {
  const authed = conn.authedPubkeys;
  switch (policy.mode) {
    case 'open':
    case 'auth-write':
      return onlyBanned(policy, authed) ? REASONS.bannedReader : undefined;
    case 'auth-read':
    case 'auth-all':
      if (authed.size === 0) return REASONS.authToRead;
      return onlyBanned(policy, authed) ? REASONS.bannedReader : undefined;
    case 'allowlist':
    case 'follows': {
      if (authed.size === 0) return REASONS.authToRead;
      const best = bestLevel(policy, authed);
      if (best !== undefined && RANK[best] >= RANK.read) return undefined;
      return onlyBanned(policy, authed) ? REASONS.bannedReader : REASONS.notAllowedReader;
    }
  }
}

/**
 * May this connection publish this event? A NIP-62 request to vanish always may (its author
 * must be able to vanish whatever their status). Everywhere else: a banned event, a banned
 * author, a kind outside the kind allowlist (admins excepted) and a connection authenticated
 * only as banned pubkeys are blocked. Then `auth-write`/`auth-all` need an authenticated connection, and
 * `allowlist`/`follows` need the event's AUTHOR to have level `write` or `admin` (the signature
 * proves authorship, so who delivers it does not matter).
 */
export function canWrite(policy: AccessPolicy, event: NostrEvent, conn: AccessViewer): string | undefined {
  // NIP-62: relays that restrict who may post MUST still honour a request to vanish, whatever
  // the author's status; its signature proves it is the author's own.
  if (event.kind === VANISH_KIND) return undefined;
  const state = policy.state;
  if (state.isEventBanned(event.id)) return REASONS.bannedEvent;
  const author = effectiveLevel(policy, event.pubkey);
  if (author === 'none') return REASONS.bannedAuthor;
  // An explicit `read` level is a read-only grant in every mode, open ones included.
  if (author === 'read') return REASONS.readOnlyAuthor;
  if (author !== 'admin' && !state.isKindAllowed(event.kind)) {
    return `blocked: kind ${event.kind} is not accepted on this relay`;
  }
  const authed = conn.authedPubkeys;
  if (onlyBanned(policy, authed)) return REASONS.bannedReader;
  switch (policy.mode) {
    case 'open':
    case 'auth-read':
      return undefined;
    case 'auth-write':
    case 'auth-all':
      return authed.size === 0 ? REASONS.authToWrite : undefined;
    case 'allowlist':
    case 'follows':
      return author !== undefined && RANK[author] >= RANK.write ? undefined : REASONS.notAllowedAuthor;
  }
}

/** Whether an event carries the NIP-70 `["-"]` tag. */
export function isProtectedEvent(event: NostrEvent): boolean {
  for (const tag of event.tags) if (tag[0] === '-') return true;
  return false;
}

/**
 * NIP-70: a protected event is accepted only from a connection authenticated as its author:
 * `auth-required:` when not authenticated, `restricted:` when authenticated as someone else.
 */
export function checkProtectedEvent(event: NostrEvent, conn: AccessViewer): string | undefined {
  if (!isProtectedEvent(event)) return undefined;
  if (conn.authedPubkeys.has(event.pubkey)) return undefined;
  return conn.authedPubkeys.size === 0 ? REASONS.protectedNoAuth : REASONS.protectedOther;
}

/**
 * Whether a privileged event may be shown to a connection: it is authenticated as the author
 * or as a pubkey in one of the event's `p` tags. Call it only for privileged kinds.
 */
export function mayReceivePrivileged(event: NostrEvent, authedPubkeys: ReadonlySet<string>): boolean {
  if (authedPubkeys.size === 0) return false;
  if (authedPubkeys.has(event.pubkey)) return true;
  for (const tag of event.tags) {
    if (tag[0] === 'p' && tag[1] !== undefined && authedPubkeys.has(tag[1])) return true;
  }
  return false;
}

/**
 * Whether a REQ/COUNT can only ever match privileged events: every filter names `kinds` and
 * every one of them is privileged. From an unauthenticated connection such a request is
 * answered `auth-required:` instead of an empty result.
 */
export function onlyPrivilegedKinds(filters: readonly Filter[], privileged: ReadonlySet<number>): boolean {
  if (privileged.size === 0 || filters.length === 0) return false;
  for (const filter of filters) {
    const kinds = filter.kinds;
    if (kinds === undefined || kinds.length === 0) return false;
    for (const kind of kinds) if (!privileged.has(kind)) return false;
  }
  return true;
}

/**
 * When the NIP-42 challenge is sent: right after connect when AUTH_CHALLENGE says so (the
 * default: clients with an auth callback then authenticate before their first REQ) or when
 * the mode may ask for authentication on any read or write; lazily, with the first
 * `auth-required:` answer, only on an open relay set to `on-demand`.
 */
export function authChallengeTiming(
  mode: AccessMode,
  preferred: 'on-connect' | 'on-demand' = 'on-connect',
): 'on-connect' | 'on-demand' {
  return mode === 'open' ? preferred : 'on-connect';
}

/** NIP-11 `limitation` flags the mode implies. */
export function accessLimitation(mode: AccessMode): { auth_required: boolean; restricted_writes: boolean } {
  return { auth_required: modeRequiresAuthToRead(mode), restricted_writes: modeRestrictsWrites(mode) };
}
