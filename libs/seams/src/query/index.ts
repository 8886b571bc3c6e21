/**
 * The query seam: filters in, stored events out. The interface (./seam.ts), the in-process
 * client (standalone: the query engine called directly), the HTTP client (gateway side of the
 * cluster, balanced over several query services) and its server half (the HTTP server, NDJSON
 * framing, the shared secret).
 *
 * Conformance: `queryConformance` (`@nrelay/seams/query/conformance`, ./conformance.ts) checks the
 * QueryClient contract of ./seam.ts over a seeded real store; services/query/src/conformance.test.ts
 * runs it, unchanged, on the query engine itself and on the HTTP client talking to the query
 * service's HTTP server on 127.0.0.1 (each on a fresh Postgres database).
 */
export { createBalancedQueryClient } from './balanced-client.js';
export { InvalidQueryError } from './errors.js';
export {
  createHttpQueryClient,
  type HttpQueryClientOptions,
  QueryServiceError,
  type QueryServiceErrorCode,
} from './http-client.js';
export { parseQueryRequest, QueryRequestError } from './http-request.js';
export {
  createQueryHttpServer,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  type QueryHttpServerOptions,
} from './http-server.js';
export { formatLsn, MIN_LSN_HEADER, PRIMARY_LSN_HEADER, parseLsn } from './lsn.js';
export {
  LineSplitter,
  NDJSON_END_LINE,
  NDJSON_ERROR_START,
  ndjsonErrorLine,
  ndjsonEventLine,
  ndjsonEventLines,
} from './ndjson.js';
export type {
  HllCountAnswer,
  HllCountRequest,
  ItemsRequest,
  QueryClient,
  QueryRequest,
  Viewer,
} from './seam.js';
export { bearerOf, createSecretCheck, isLoopbackHost } from './service-secret.js';
