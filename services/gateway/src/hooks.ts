import type { IncomingMessage } from 'node:http';
import type { Filter, NostrEvent } from '@nrelay/protocol';

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
 * the input through), `overwrite*` mutates its input, `on*` only observes. All are synchronous
 * and run in array order; the first rejection wins. Empty arrays cost one length check.
 */
export interface GatewayHooks {
  /** Refuse a WebSocket upgrade: the reason is sent as the body of an HTTP 403. */
  rejectConnection: Array<(req: IncomingMessage) => string | undefined>;
  /** Refuse an EVENT before it reaches ingest: the reason becomes `OK false`. */
  rejectEvent: Array<(event: NostrEvent, conn: ConnectionInfo) => string | undefined>;
  /** Refuse a REQ or COUNT filter: the reason becomes `CLOSED`. Runs after `overwriteFilter`. */
  rejectFilter: Array<(filter: Filter, conn: ConnectionInfo) => string | undefined>;
  /** Change a REQ or COUNT filter in place before it is checked, capped and run. */
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
    rejectFilter: partial.rejectFilter ?? [],
    overwriteFilter: partial.overwriteFilter ?? [],
    onConnect: partial.onConnect ?? [],
    onDisconnect: partial.onDisconnect ?? [],
  };
}

const PREFIXED = /^[a-z-]+: /;

/** A hook's reason as sent to clients: kept when already prefixed, else marked `blocked:`. */
export function prefixedReason(reason: string): string {
  return PREFIXED.test(reason) ? reason : `blocked: ${reason}`;
}

/** Runs a list of `reject*` hooks; the first reason (prefixed) wins. */
export function firstRejection<A, B>(
  hooks: ReadonlyArray<(a: A, b: B) => string | undefined>,
  a: A,
  b: B,
): string | undefined {
  for (let i = 0; i < hooks.length; i++) {
    const reason = hooks[i]!(a, b);
    if (reason !== undefined) return prefixedReason(reason);
  }
  return undefined;
}
