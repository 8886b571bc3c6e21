/**
 * The hot window at the query seam (ADR 0018): a QueryClient that answers each filter the
 * window can answer from memory and hands the rest to the inner client (the query service),
 * keeping the seam's contract (libs/seams/src/query/seam.ts; its conformance suite runs on
 * this decorator too): the union of the filters' results, each newest first within its limit,
 * no event twice; COUNT goes to the inner client (its answer ignores limits, which the window
 * cannot prove it holds). Before answering it waits for the buses' fence, so an event whose OK
 * was sent before the REQ arrived (ingest publishes before it replies) is in the window.
 */
import type { Filter } from '@nrelay/protocol';
import type { HllCountRequest, QueryClient, QueryRequest } from '@nrelay/seams/query';
import { rawEventId } from '../raw-id.js';
import type { HotWindow } from './window.js';

/** Filters answered from the window and passed on, counted for the hit rate. */
export interface HotWindowQueryStats {
  hits: number;
  misses: number;
}

/** NIP-40's clock, in seconds, as the store reads it. */
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The id of a raw text the window or the store returned (always a valid event). */
function idOf(raw: string): string {
  return rawEventId(raw) ?? raw;
}

/** How a decorated client knows the window is current, and its clock. */
export interface HotWindowQueryOptions {
  /**
   * Resolves true once the window has been fed everything published before the call (the
   * fanout and access-change buses' fences: read-your-writes across gateways), false when that
   * cannot be told in time; then the request goes to the inner client. Default: always true.
   */
  fence?: () => Promise<boolean>;
  /** NIP-40's clock in seconds (default: the system clock). */
  now?: () => number;
}

const ALWAYS_FENCED = () => Promise.resolve(true);

/**
 * Wraps `inner` with `window`: see the module comment. `stats` is bumped per filter. An
 * unrestricted (internal) request always goes to the inner client.
 */
export function withHotWindow(
  inner: QueryClient,
  window: HotWindow,
  stats: HotWindowQueryStats,
  options: HotWindowQueryOptions = {},
): QueryClient {
  const fence = options.fence ?? ALWAYS_FENCED;
  const now = options.now ?? nowSeconds;
  let closed = false;

  async function* query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    signal.throwIfAborted();
    if (closed) throw new Error('query client is closed');
    // An event OK'd before this request must be in the window before it answers.
    if (request.viewer.unrestricted === true || window.state === 'cold' || !(await fence())) {
      stats.misses += request.filters.length;
      yield* inner.query(request, signal);
      return;
    }
    signal.throwIfAborted();
    const viewer = { pubkeys: request.viewer.authedPubkeys };
    const at = now();
    const answered: string[][] = [];
    const rest: Filter[] = [];
    for (const filter of request.filters) {
      const answer = window.answer(filter, viewer, at);
      if (answer === undefined) rest.push(filter);
      else answered.push(answer);
    }
    stats.hits += answered.length;
    stats.misses += rest.length;
    if (answered.length === 0) {
      yield* inner.query(request, signal);
      return;
    }
    // One filter answered alone needs no deduplication: the window holds each event once.
    const single = answered.length === 1 && rest.length === 0;
    const seen = new Set<string>();
    const batch: string[] = [];
    for (const answer of answered) {
      if (single) {
        batch.push(...answer);
        break;
      }
      for (const raw of answer) {
        const id = idOf(raw);
        if (seen.has(id)) continue;
        seen.add(id);
        batch.push(raw);
      }
    }
    if (batch.length > 0) {
      yield batch;
      signal.throwIfAborted();
    }
    if (rest.length === 0) return;
    for await (const page of inner.query({ ...request, filters: rest }, signal)) {
      const fresh = page.filter((raw) => !seen.has(idOf(raw)));
      if (fresh.length === 0) continue;
      for (const raw of fresh) seen.add(idOf(raw));
      yield fresh;
      signal.throwIfAborted();
    }
  }

  return {
    query,
    count: (request, signal) => {
      if (closed) return Promise.reject(new Error('query client is closed'));
      return inner.count(request, signal);
    },
    // COUNT never reads the window (a count needs every match, not the newest ones).
    ...(inner.countHll === undefined
      ? {}
      : {
          countHll: (request: HllCountRequest, signal: AbortSignal) => {
            if (closed) return Promise.reject(new Error('query client is closed'));
            return (inner.countHll as NonNullable<QueryClient['countHll']>)(request, signal);
          },
        }),
    // NIP-77 item sets always come from the query service: always consistent (ADR 0019).
    items: (request, signal) => {
      if (closed) return Promise.reject(new Error('query client is closed'));
      return inner.items(request, signal);
    },
    async close() {
      closed = true;
      await inner.close();
    },
  };
}
