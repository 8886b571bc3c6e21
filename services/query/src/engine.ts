import type { Filter, SearchLimits } from '@nrelay/protocol';
import {
  type HllCountRequest,
  InvalidQueryError,
  type QueryClient,
  type QueryRequest,
} from '@nrelay/seams/query';
import { type EventStore, QueryInputError } from '@nrelay/store';
import { relayTracer } from '@nrelay/telemetry';
import { mergeAsync } from './merge.js';
import { observeQueryEngine } from './telemetry.js';

/** Limits the query engine enforces whatever the caller sent. */
export interface QueryLimits {
  defaultLimit: number;
  maxLimit: number;
  /** Rows per page while streaming from the store. */
  pageSize: number;
  /** Bytes of raw JSON per page while streaming from the store (at least one event). */
  pageMaxBytes?: number;
  /** NIP-50 search bounds, checked again here whatever the caller checked. Default: the store's. */
  search?: SearchLimits;
}

/**
 * The part of the store the query engine reads through. `items` (NIP-77) and `countHll`
 * (NIP-45 registers) are optional so a reader built for REQ and COUNT alone (tests) still
 * fits; without them `items` rejects and `countHll` is not offered.
 */
export type EventReader = Pick<EventStore, 'query' | 'count'> &
  Partial<Pick<EventStore, 'items' | 'countHll'>>;

/** Options of the query engine. */
export interface QueryEngineDeps {
  store: EventReader;
  limits: QueryLimits;
  /** Kinds readable only by their author or a p-tagged pubkey; empty disables the check. */
  privilegedKinds?: readonly number[];
}

/**
 * The effective limit of a filter: its own, else the number of ids it names (a REQ by ids is
 * served whole, whatever DEFAULT_LIMIT says: sync clients fetch up to 500 at a time), else the
 * default; never above the maximum.
 */
export function effectiveLimit(filter: Filter, limits: QueryLimits): number {
  return Math.min(filter.limit ?? filter.ids?.length ?? limits.defaultLimit, limits.maxLimit);
}

/** The store's refusal of a query's input as the seam's `InvalidQueryError`; anything else as it is. */
function asInvalidQuery(err: unknown): unknown {
  return err instanceof QueryInputError ? new InvalidQueryError(err.message, { cause: err }) : err;
}

/**
 * The query engine behind every QueryClient: the filters of one request run concurrently, each
 * newest first with its own limit; results stream out a page at a time as they arrive, each
 * event once.
 */
export function createQueryEngine(deps: QueryEngineDeps): QueryClient {
  const { store, limits } = deps;
  const privilegedKinds = deps.privilegedKinds ?? [];
  // An unrestricted viewer (the hot window's warm-up) reads privileged kinds too.
  const viewerOf = (request: { viewer: QueryRequest['viewer'] }) =>
    privilegedKinds.length > 0 && request.viewer.unrestricted !== true
      ? { pubkeys: [...request.viewer.authedPubkeys], privilegedKinds: [...privilegedKinds] }
      : undefined;

  let closed = false;

  async function* query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    if (closed) throw new Error('query engine is closed');
    const viewer = viewerOf(request);
    // An internal unrestricted read (a hot-window warm-up) sets its own limit: not capped.
    const limitOf = (filter: Filter) =>
      request.viewer.unrestricted === true
        ? (filter.limit ?? limits.defaultLimit)
        : effectiveLimit(filter, limits);
    const streams = request.filters.map((filter) =>
      store.query(filter, {
        limit: limitOf(filter),
        signal,
        pageSize: limits.pageSize,
        ...(limits.pageMaxBytes === undefined ? {} : { pageMaxBytes: limits.pageMaxBytes }),
        ...(limits.search === undefined ? {} : { search: limits.search }),
        viewer,
      }),
    );
    const seen = new Set<string>();
    const pages = streams.length === 1 ? streams[0]! : mergeAsync(streams);
    try {
      for await (const page of pages) {
        // An abort rejects with its reason, wherever it lands (the seam's contract).
        signal.throwIfAborted();
        const batch: string[] = [];
        for (const row of page) {
          if (seen.has(row.id)) continue;
          seen.add(row.id);
          batch.push(row.raw);
        }
        if (batch.length > 0) {
          yield batch;
          signal.throwIfAborted();
        }
      }
    } catch (err) {
      throw asInvalidQuery(err);
    }
  }

  // Durations, results and SQL errors always; a span per query when tracing is on.
  return observeQueryEngine(
    {
      query,
      async count(request, signal) {
        signal.throwIfAborted();
        if (closed) throw new Error('query engine is closed');
        const search = limits.search === undefined ? {} : { search: limits.search };
        return store.count(request.filters, { viewer: viewerOf(request), signal, ...search }).catch((err) => {
          throw asInvalidQuery(err);
        });
      },
      ...(store.countHll === undefined
        ? {}
        : {
            async countHll(request: HllCountRequest, signal: AbortSignal) {
              signal.throwIfAborted();
              if (closed) throw new Error('query engine is closed');
              const filter = request.filters[0];
              if (request.filters.length !== 1 || filter === undefined) {
                throw new InvalidQueryError('an HLL count takes exactly one filter');
              }
              const search = limits.search === undefined ? {} : { search: limits.search };
              const opts = { viewer: viewerOf(request), signal, ...search };
              return (store.countHll as EventStore['countHll'])(filter, request.hllOffset, opts).catch(
                (err) => {
                  throw asInvalidQuery(err);
                },
              );
            },
          }),
      async items(request, signal) {
        signal.throwIfAborted();
        if (closed) throw new Error('query engine is closed');
        if (store.items === undefined) throw new Error('this store serves no NIP-77 item sets');
        // Not capped by DEFAULT_LIMIT / MAX_LIMIT: the caller's limit is the session cap (+1).
        const opts = { limit: request.limit, signal, viewer: viewerOf(request) };
        const packed = await store.items(request.filter, opts).catch((err) => {
          throw asInvalidQuery(err);
        });
        signal.throwIfAborted();
        return packed;
      },
      async close() {
        closed = true;
      },
    },
    relayTracer(),
  );
}
