export { composeQueryEngine } from './compose.js';
export {
  createQueryEngine,
  type EventReader,
  effectiveLimit,
  type QueryEngineDeps,
  type QueryLimits,
} from './engine.js';
export { mergeAsync } from './merge.js';
export { observeQueryEngine } from './telemetry.js';
