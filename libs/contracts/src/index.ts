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
export { createMemoryFanoutBus } from './memory-fanout.js';
