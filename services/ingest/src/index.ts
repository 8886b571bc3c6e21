export {
  createIngestPipeline,
  createLocalIngestClient,
  type IngestDeps,
  type IngestPipeline,
} from './pipeline.js';
export { policyStage } from './stages/policy.js';
export { replyFor } from './stages/reply.js';
export { type EventWriter, WriteBatcher, type WriteBatcherOptions } from './stages/store.js';
export { verifyStage } from './stages/verify.js';
export type { Ingest, IngestHooks, IngestPolicy, StageVerdict } from './types.js';
export {
  type IngestWorker,
  type IngestWorkerOptions,
  startIngestWorker,
  TransientIngestError,
} from './worker.js';
export { wasmVerifier } from './stages/wasm-verifier.js';
