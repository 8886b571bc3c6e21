export { createMemoryFanoutBus } from './memory-fanout.js';
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
