/**
 * The query engine as every composition root builds it (ADR 0014): the query service's main
 * serves it over HTTP, the standalone relay hands it to the gateway as its QueryClient. Its
 * limits and privileged kinds come from the settings here, once.
 */
import { privilegedKindsOf } from '@nrelay/access';
import type { Config } from '@nrelay/config';
import type { QueryClient } from '@nrelay/seams/query';
import { createQueryEngine, type EventReader } from './engine.js';

/**
 * The query engine over `store` with DEFAULT_LIMIT, MAX_LIMIT, the page bounds
 * (QUERY_PAGE_SIZE, QUERY_PAGE_MAX_BYTES), the search bounds and PRIVILEGED_KINDS. An invalid
 * PRIVILEGED_KINDS throws a ConfigError here.
 */
export function composeQueryEngine(config: Config, store: EventReader): QueryClient {
  return createQueryEngine({
    store,
    // Privileged events are filtered in SQL for every query, COUNT and search (docs/access-control.md).
    privilegedKinds: [...privilegedKindsOf(config)],
    limits: {
      defaultLimit: config.DEFAULT_LIMIT,
      maxLimit: config.MAX_LIMIT,
      pageSize: config.QUERY_PAGE_SIZE,
      pageMaxBytes: config.QUERY_PAGE_MAX_BYTES,
      search: { maxSearchLength: config.MAX_SEARCH_LENGTH, maxSearchTerms: config.MAX_SEARCH_TERMS },
    },
  });
}
