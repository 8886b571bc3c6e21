import type { Filter, NostrEvent, RawEvent } from '@nrelay/protocol';

/** What the gateway hands to ingest for one EVENT. Versioned: it crosses process boundaries. */
export interface IngestRequest {
  v: 1;
  event: RawEvent;
  /** Milliseconds since the epoch when the gateway received the frame. */
  receivedAt: number;
  gatewayId: string;
  connectionId: string;
  /** Pubkeys the connection has authenticated as (NIP-42); empty when anonymous. */
  authedPubkeys: readonly string[];
  /** W3C trace context carrier (traceparent/tracestate), when tracing is on. */
  trace?: Record<string, string>;
}

/** The answer to one EVENT: the fields of the NIP-01 OK message. */
export interface IngestResult {
  ok: boolean;
  /** Empty or a prefixed reason such as `duplicate: already have this event`. */
  reason: string;
}

/** Submit an event and get its OK once the event is durable (or refused). */
export interface IngestClient {
  submit(request: IngestRequest, signal?: AbortSignal): Promise<IngestResult>;
  close(): Promise<void>;
}

/** The connection's view used for privacy checks on stored events. */
export interface Viewer {
  authedPubkeys: readonly string[];
}

/** Filters of one REQ or COUNT. Limits are already validated by the gateway. */
export interface QueryRequest {
  v: 1;
  filters: Filter[];
  viewer: Viewer;
  trace?: Record<string, string>;
}

/**
 * Filters in, raw event JSON out: the union of the filters' results, each filter newest first
 * and capped by its own limit, no event twice. The stream ends after the last filter.
 * Results come in non-empty batches of what arrived together (a page of rows, a chunk of the
 * HTTP stream), so the per-result cost of the async hand-offs is paid once per batch (ADR 0009).
 */
export interface QueryClient {
  query(request: QueryRequest, signal: AbortSignal): AsyncIterable<readonly string[]>;
  count(request: QueryRequest, signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

/** An accepted event on its way to every gateway. */
export interface FanoutMessage {
  v: 1;
  event: NostrEvent;
  raw: string;
  /** Milliseconds since the epoch when the event was accepted (committed, or validated if ephemeral). */
  acceptedAt: number;
  trace?: Record<string, string>;
}

/** Publish accepted events; receive every accepted event of the cluster. */
export interface FanoutBus {
  publish(message: FanoutMessage, signal?: AbortSignal): Promise<void>;
  /** Registers a handler; returns a function that removes it. Handlers must not throw. */
  subscribe(handler: (message: FanoutMessage) => void): () => void;
  close(): Promise<void>;
}
