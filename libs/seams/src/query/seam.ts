import type { Filter } from '@nrelay/protocol';

/** The connection's view used for privacy checks on stored events. */
export interface Viewer {
  authedPubkeys: readonly string[];
  /**
   * An internal read that sees every stored event, privileged kinds included, with its filters'
   * limits not capped by MAX_LIMIT: the gateways' hot-window warm-up. Never set from what a
   * client sent; over HTTP the service secret guards it like every other query.
   */
  unrestricted?: true;
}

/** Filters of one REQ or COUNT. Limits are already validated by the gateway. */
export interface QueryRequest {
  v: 1;
  filters: Filter[];
  viewer: Viewer;
  trace?: Record<string, string>;
  /**
   * Read-your-writes bound (ADR 0024): a read replica may answer only once it has replayed this
   * WAL position (`X/Y`, ./lsn.ts). Over HTTP it travels as the `x-nrelay-min-lsn` header and a
   * request without it is read from the primary; the in-process client ignores it.
   */
  minLsn?: string;
}

/**
 * NIP-77: one filter's item set for one viewer. `limit` bounds the answer (ask one more than
 * you accept to detect an oversized set); DEFAULT_LIMIT and MAX_LIMIT do not apply, while the
 * filter's own `limit`, if any, keeps its newest events.
 */
export interface ItemsRequest {
  v: 1;
  filter: Filter;
  viewer: Viewer;
  limit: number;
  trace?: Record<string, string>;
  /** As `QueryRequest.minLsn`. */
  minLsn?: string;
}

/**
 * NIP-45 COUNT with HyperLogLog: one filter (a shape `hllOffsetFor` of @nrelay/protocol
 * accepts) and the register offset it gave.
 */
export interface HllCountRequest extends QueryRequest {
  hllOffset: number;
}

/** A count and its NIP-45 registers (`hll`: 512 lowercase hex digits). */
export interface HllCountAnswer {
  count: number;
  hll: string;
}

/**
 * Filters in, raw event JSON out: the union of the filters' results, each filter newest first
 * and capped by its own limit, no event twice. The stream ends after the last filter.
 * Results come in non-empty batches of what arrived together (a page of rows, a chunk of the
 * HTTP stream), so the per-result cost of the async hand-offs is paid once per batch (ADR 0009).
 * The contract both implementations keep (checked by ./conformance.ts):
 * - each raw text is the stored one, byte for byte (over HTTP a literal newline, JSON
 *   whitespace, arrives as a space: ./ndjson.ts);
 * - `count` is the number of distinct events matching any filter, limits ignored;
 * - privileged kinds reach only their author and p-tagged pubkeys among `viewer.authedPubkeys`,
 *   or every `viewer.unrestricted` reader;
 * - a request the query itself makes impossible (a search over the limits) rejects with
 *   `InvalidQueryError`, from `query` and `count` alike;
 * - an abort, before or during the stream, rejects with `signal.reason` at the next step (the
 *   iteration never just ends early), and the query's work is cancelled;
 * - `items` (NIP-77) answers at most `limit` `(created_at, id)` items as packed 40-byte
 *   records (created_at big-endian u64, then the 32 id bytes) in ascending (created_at, id)
 *   order, under the same read rules as `query` (never event text);
 * - after `close()`, `query`, `count` and `items` reject.
 */
export interface QueryClient {
  query(request: QueryRequest, signal: AbortSignal): AsyncIterable<readonly string[]>;
  count(request: QueryRequest, signal: AbortSignal): Promise<number>;
  /**
   * `count` plus the matching events' NIP-45 registers. Optional: a client without it (or a
   * wrapper that does not pass it on) makes the gateway answer a plain count.
   */
  countHll?(request: HllCountRequest, signal: AbortSignal): Promise<HllCountAnswer>;
  items(request: ItemsRequest, signal: AbortSignal): Promise<Uint8Array>;
  close(): Promise<void>;
}
