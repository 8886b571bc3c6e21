import type { IncomingMessage } from 'node:http';
import type { Filter, NostrEvent } from '@nrelay/protocol';
import type { MaybePromise, Rejection } from '@nrelay/runtime';

export { firstRejection, firstRejectionOfEach, prefixedReason } from '@nrelay/runtime';

/** What hooks may see of a connection: identity and authentication, never the socket. */
export interface ConnectionInfo {
  /** Random id of this connection, also sent to ingest. */
  readonly id: string;
  /** Remote address (first X-Forwarded-For hop when present, else the socket's). */
  readonly ip: string;
  /** Pubkeys this connection has authenticated as (NIP-42); may hold several. */
  readonly authedPubkeys: ReadonlySet<string>;
}

/**
 * Gateway hooks, khatru-style: `reject*` returns a prefixed reason to refuse (undefined lets
 * the input through), `overwrite*` mutates its input, `on*` only observes. They run in array
 * order; the first rejection wins. `reject*` hooks may return a promise (e.g. a rate limit kept
 * in Redis); the runner awaits only when one does, so synchronous hooks stay synchronous. A
 * `reject*` hook that throws refuses with `error: internal error` (logged). Empty arrays cost
 * one length check. See docs/plugins.md.
 */
export interface GatewayHooks {
  /**
   * Refuse a WebSocket upgrade: the reason is sent as the body of an HTTP 403 (429 for
   * `rate-limited:`). `ip` is the client address as the gateway sees it (trusted proxies applied).
   */
  rejectConnection: Array<(req: IncomingMessage, ip: string) => MaybePromise<Rejection>>;
  /** Refuse an EVENT before it reaches ingest: the reason becomes `OK false`. */
  rejectEvent: Array<(event: NostrEvent, conn: ConnectionInfo) => MaybePromise<Rejection>>;
  /**
   * Refuse a whole REQ or COUNT (its filters as sent) before the filter hooks run: the reason
   * becomes `CLOSED`. Runs once per message, so it suits per-request limits.
   */
  rejectReq: Array<(filters: readonly Filter[], conn: ConnectionInfo) => MaybePromise<Rejection>>;
  /** Refuse a REQ or COUNT filter: the reason becomes `CLOSED`. Runs after `overwriteFilter`. */
  rejectFilter: Array<(filter: Filter, conn: ConnectionInfo) => MaybePromise<Rejection>>;
  /** Change a REQ or COUNT filter in place before it is checked, capped and run. Synchronous. */
  overwriteFilter: Array<(filter: Filter, conn: ConnectionInfo) => void>;
  /** Observe a new connection (after its state exists, before its first message). */
  onConnect: Array<(conn: ConnectionInfo) => void>;
  /** Observe a closed connection (after its subscriptions are gone). */
  onDisconnect: Array<(conn: ConnectionInfo) => void>;
}

/** Fills the missing hook lists of `partial` with empty arrays. */
export function resolveHooks(partial: Partial<GatewayHooks> = {}): GatewayHooks {
  return {
    rejectConnection: partial.rejectConnection ?? [],
    rejectEvent: partial.rejectEvent ?? [],
    rejectReq: partial.rejectReq ?? [],
    rejectFilter: partial.rejectFilter ?? [],
    overwriteFilter: partial.overwriteFilter ?? [],
    onConnect: partial.onConnect ?? [],
    onDisconnect: partial.onDisconnect ?? [],
  };
}

/** The names of every gateway hook list (what a plugin's `gateway` part may hold). */
export const GATEWAY_HOOK_NAMES = Object.keys(resolveHooks()) as readonly (keyof GatewayHooks)[];
