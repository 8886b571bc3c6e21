/**
 * The query seam: filters in, stored events out. The interface (./seam.ts), the in-process
 * client (standalone: the query engine called directly), the HTTP client (gateway side of the
 * cluster, balanced over several query services) and its server half (the HTTP server, NDJSON
 * framing, the shared secret), and the conformance suite both pass (./conformance.ts).
 */
export { createBalancedQueryClient } from './balanced-client.js';
export { InvalidQueryError } from './errors.js';
export {
  createHttpQueryClient,
  type HttpQueryClientOptions,
  QueryServiceError,
  type QueryServiceErrorCode,
} from './http-client.js';
export {
  createQueryHttpServer,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  parseQueryRequest,
  type QueryHttpServerOptions,
  QueryRequestError,
} from './http-server.js';
export {
  LineSplitter,
  NDJSON_END_LINE,
  NDJSON_ERROR_START,
  ndjsonErrorLine,
  ndjsonEventLine,
  ndjsonEventLines,
} from './ndjson.js';
export type { QueryClient, QueryRequest, Viewer } from './seam.js';
export { bearerOf, createSecretCheck, isLoopbackHost } from './service-secret.js';
