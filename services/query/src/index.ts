export {
  createQueryEngine,
  type EventReader,
  effectiveLimit,
  type QueryEngineDeps,
  type QueryLimits,
} from './engine.js';
export {
  createQueryHttpServer,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  parseQueryRequest,
  type QueryHttpServerOptions,
  QueryRequestError,
} from './http.js';
export { mergeAsync } from './merge.js';
export { observeQueryEngine } from './telemetry.js';
