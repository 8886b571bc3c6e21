import type { Config } from '@nrelay/config';
import type { QueryClient } from '@nrelay/seams/query';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { QuerySlots } from '../query-slots.js';
import type { GatewayCounters } from '../stats.js';
import type { SubscriptionIndex } from '../subscription-index.js';

/**
 * What a subscription needs of the connection that holds it: its map of subscriptions (`S`),
 * the socket it writes to, the stored-phase byte count they share, who it is authenticated as
 * and a way to end it. `Connection` satisfies it; naming only this keeps `subscriptions/` free
 * of an import cycle with the connection that holds its subscriptions.
 */
export interface SubscriptionOwner<S = unknown> {
  /** Open subscriptions by id. */
  readonly subscriptions: Map<string, S>;
  /** The socket: its `bufferedAmount` is the live-traffic backpressure signal. */
  readonly ws: WebSocket;
  /** Pubkeys the connection authenticated as (NIP-42): the viewer of its stored queries. */
  readonly authedPubkeys: ReadonlySet<string>;
  /** Bytes of live events buffered by all its subscriptions still in their stored phase. */
  readonly storedPhaseBytes: number;
  /** Whether frames can still be sent. */
  readonly open: boolean;
  readonly logger: Logger;
  /** Adds `bytes` (negative: gives back) to the stored-phase count and returns the new total. */
  bufferStoredPhase(bytes: number): number;
  /** Sends one frame; a no-op once the socket is closing. */
  send(kind: 'EVENT' | 'EOSE' | 'CLOSED', frame: string): void;
  /** Sends one frame; resolves `false` if it did not reach the kernel within `timeoutMs`. */
  sendAndFlush(kind: 'EVENT', frame: string, timeoutMs: number): Promise<boolean>;
  /** Ends every subscription and in-flight query of the connection; idempotent. */
  release(): void;
  /** Starts the closing handshake. */
  close(code: number, reason: string): void;
}

/** The settings a subscription reads. */
export type SubscriptionSettings = Pick<
  Config,
  | 'DEFAULT_LIMIT'
  | 'MAX_LIMIT'
  | 'SEND_MAX_BUFFERED_BYTES'
  | 'SEND_HIGH_WATER_BYTES'
  | 'STALLED_STREAM_TIMEOUT_MS'
  | 'QUERY_SLOT_TIMEOUT_MS'
>;

/**
 * The part of the gateway's shared context a subscription uses: the live index it enters, the
 * query slots and query client of its stored phase, and the slow-consumer counter. The
 * gateway's `GatewayContext` satisfies it.
 */
export interface SubscriptionContext {
  readonly config: SubscriptionSettings;
  readonly index: Pick<SubscriptionIndex<SubscriptionOwner>, 'add' | 'remove' | 'removeConnection'>;
  readonly slots: Pick<QuerySlots, 'acquire'>;
  readonly query: QueryClient;
  readonly counters: Pick<GatewayCounters, 'slowConsumerDisconnects'>;
}
