import type { NostrEvent } from '@nrelay/protocol';

/** An accepted event on its way to every gateway. */
export interface FanoutMessage {
  v: 1;
  event: NostrEvent;
  raw: string;
  /** Milliseconds since the epoch when the event was accepted (committed, or validated if ephemeral). */
  acceptedAt: number;
  trace?: Record<string, string>;
  /**
   * The primary's WAL position after the event's transaction committed (`X/Y`), when ingest
   * learned one (read replicas on, Postgres): gateways pass the highest one seen with their
   * queries, the read-your-writes bound of the replicas (ADR 0024). Absent on old messages.
   */
  lsn?: string;
}

/**
 * Whether this bus's handlers are receiving every published message: `broken` when messages
 * published from now on may be lost (the Redis subscriber connection dropped), `restored` when
 * delivery is continuous again (subscribed again; what was published in between is lost).
 */
export type FanoutContinuity = 'broken' | 'restored';

/**
 * Publish accepted events; receive every accepted event of the cluster. The contract both
 * implementations keep (checked by ./conformance.ts):
 * - a published message reaches every handler of every bus on the medium with `raw`
 *   byte-identical and `event`, `acceptedAt` and `trace` preserved; one publisher's messages
 *   arrive in the order it published them;
 * - `fence()` resolves only after every message published (publish resolved) before it was
 *   called has reached this bus's handlers;
 * - a handler removed by its unsubscribe function gets nothing more; a handler that throws does
 *   not stop delivery to the others (the bus reports the error);
 * - `publish` with an aborted `signal` rejects with `signal.reason` and delivers nothing;
 * - once `close()` began, `publish` rejects (the message is not delivered) and handlers are
 *   dropped.
 */
export interface FanoutBus {
  publish(message: FanoutMessage, signal: AbortSignal): Promise<void>;
  /** Registers a handler; returns a function that removes it. Handlers must not throw. */
  subscribe(handler: (message: FanoutMessage) => void): () => void;
  /**
   * Registers a listener of delivery gaps (see `FanoutContinuity`): what keeps a copy of the
   * stream (a gateway's hot window) must not trust it across one. The memory bus never breaks.
   * Returns a function that removes the listener.
   */
  watchContinuity(listener: (state: FanoutContinuity) => void): () => void;
  /**
   * Resolves once every message whose `publish` had resolved (on any bus of the medium) before
   * this call has been handed to this bus's handlers: what reads a copy of the stream (the hot
   * window) calls it before answering, so an event OK'd before a REQ is in the copy. Rejects
   * when it cannot tell (the Redis subscriber is not connected now).
   */
  fence(): Promise<void>;
  close(): Promise<void>;
}

/** Why `publish` rejects after `close()`, in both implementations. */
export const FANOUT_CLOSED_MESSAGE = 'fanout bus is closed';
