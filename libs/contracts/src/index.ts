export { createMemoryFanoutBus } from './memory-fanout.js';
export { InvalidQueryError } from './query-errors.js';
export type {
  FanoutBus,
  FanoutMessage,
  IngestClient,
  IngestRequest,
  IngestResult,
  QueryClient,
  QueryRequest,
  Viewer,
} from './seams.js';
