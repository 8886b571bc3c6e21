/**
 * The management state as hooks (the same mechanism plugins use), for processes that do not
 * trust whoever handed them an event to have checked it: ingest refuses banned pubkeys,
 * banned events and disallowed kinds itself. Structural types, so neither service is imported.
 */
import { type NostrEvent, VANISH_KIND } from '@nrelay/protocol';
import type { AccessChangeBus } from './access-changes.js';
import { REASONS } from './policy.js';
import type { AccessState } from './state.js';

/**
 * The management rule an event breaks, or undefined (never for a NIP-62 request to vanish): a
 * banned event, a banned author, a kind the kind rules refuse (admins excepted), in the order
 * and with the reasons of the gateway's write policy (`canWrite`); configured admins (`admins`)
 * are never banned. Memory lookups only.
 */
export function managementRejection(
  state: AccessState,
  admins: ReadonlySet<string>,
  event: NostrEvent,
): string | undefined {
  // NIP-62: a request to vanish is honoured whatever its author's status (as in `canWrite`).
  if (event.kind === VANISH_KIND) return undefined;
  if (state.isEventBanned(event.id)) return REASONS.bannedEvent;
  if (admins.has(event.pubkey)) return undefined;
  const level = state.levelOf(event.pubkey);
  if (level === 'none') return REASONS.bannedAuthor;
  if (level !== 'admin' && !state.isKindAllowed(event.kind)) {
    return `blocked: kind ${event.kind} is not accepted on this relay`;
  }
  return undefined;
}

/** Ingest hooks of the management state. */
export interface ManagementIngestHooks {
  rejectEvent: Array<(event: NostrEvent) => string | undefined>;
  onEventSaved: Array<(event: NostrEvent) => void>;
}

/** Options of `managementIngestHooks`. */
export interface ManagementIngestOptions {
  /** ADMIN_PUBKEYS: never refused. */
  admins: readonly string[];
  /** follows mode: the admins whose new kind-3 lists are announced; empty: no announcements. */
  followsOf?: readonly string[];
  changes: AccessChangeBus;
  onAnnounceError?: (err: unknown) => void;
}

/**
 * `rejectEvent`: the management rules. `onEventSaved` (follows mode only): a stored kind 3 of
 * an admin is announced, so every process reloads the follow set at once.
 */
export function managementIngestHooks(
  state: AccessState,
  opts: ManagementIngestOptions,
): ManagementIngestHooks {
  const admins = new Set(opts.admins);
  const followed = new Set(opts.followsOf ?? []);
  const onEventSaved: ManagementIngestHooks['onEventSaved'] = [];
  if (followed.size > 0) {
    onEventSaved.push((event) => {
      if (event.kind !== 3 || !followed.has(event.pubkey)) return;
      opts.changes.publish({ v: 1, what: 'follows' }).catch((err: unknown) => opts.onAnnounceError?.(err));
    });
  }
  return { rejectEvent: [(event) => managementRejection(state, admins, event)], onEventSaved };
}

/** NIP-11 `supported_nips`: the static list, plus 86 when management is on (admins configured). */
export function supportedNipsWithManagement(base: readonly number[], admins: readonly string[]): number[] {
  const nips = new Set(base);
  if (admins.length > 0) nips.add(86);
  return [...nips].sort((a, b) => a - b);
}
