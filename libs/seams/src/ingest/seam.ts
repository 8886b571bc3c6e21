import type { RawEvent } from '@nrelay/protocol';

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
  /**
   * The job carrying it may have run before (a retry, or taken over from a worker that died):
   * an earlier run may have stored the event and stopped before publishing it, so a stored
   * duplicate is published again (the gateways' hot windows must not miss it; a live
   * subscriber may then see it twice, only after such a failure).
   */
  replay?: true;
  /**
   * The URL the client knows this relay by (RELAY_URL, else the URL it connected to), sent
   * only with a NIP-62 request to vanish: ingest applies one only when its `relay` tag names
   * this URL or ALL_RELAYS.
   */
  relayUrl?: string;
}

/** The answer to one EVENT: the fields of the NIP-01 OK message. */
export interface IngestResult {
  ok: boolean;
  /** Empty or a prefixed reason such as `duplicate: already have this event`. */
  reason: string;
}

/**
 * Submit an event and get its OK once the event is durable (or refused). The contract both
 * implementations keep (checked by ./conformance.ts):
 * - `submit` answers with an `IngestResult`, never throws for a refused or failed event;
 * - an aborted `signal` (before or while waiting) rejects with `signal.reason`: the caller stops
 *   waiting, the event may still be stored;
 * - once `close()` began, every new submit is answered `SHUTTING_DOWN`. Submits still in
 *   flight then are not the seam's to wait for: the in-process client lets them finish, the
 *   BullMQ client answers them `SHUTTING_DOWN` (the worker may still store them). Callers that
 *   need every OK (the gateway) drain their submits before they close the client.
 */
export interface IngestClient {
  submit(request: IngestRequest, signal: AbortSignal): Promise<IngestResult>;
  close(): Promise<void>;
}

/** The answer to a submit made after the seam began to close. */
export const SHUTTING_DOWN: IngestResult = {
  ok: false,
  reason: 'error: relay is shutting down, try again later',
};

/**
 * What serves submits on the far side of the seam: the ingest pipeline, called directly by the
 * in-process client and by the BullMQ worker for each job entry. It answers rather than throws.
 */
export interface IngestHandler {
  process(request: IngestRequest, signal?: AbortSignal): Promise<IngestResult>;
}
