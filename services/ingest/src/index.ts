export { type ComposedIngest, composeIngestPipeline, type IngestParts } from './compose.js';
export {
  createIngestPipeline,
  type IngestDeps,
} from './pipeline.js';
export {
  type IngestQueueMetricsOptions,
  observeIngestQueue,
  QUEUE_DEPTH_POLL_MS,
} from './queue-metrics.js';
export { nativeVerifier } from './stages/native-verifier.js';
export { policyStage } from './stages/policy.js';
export { replyFor } from './stages/reply.js';
export { type EventWriter, WriteBatcher, type WriteBatcherOptions } from './stages/store.js';
export { chooseVerifier, type VerifierChoice } from './stages/verifiers.js';
export { verifyStage } from './stages/verify.js';
export { wasmVerifier } from './stages/wasm-verifier.js';
export {
  observePipeline,
  observePublisher,
  observeWriter,
  traceStoreWrite,
  traceVerifier,
} from './telemetry.js';
export {
  INGEST_HOOK_NAMES,
  type IngestHooks,
  type IngestPipeline,
  type IngestPolicy,
  type StageVerdict,
} from './types.js';
export { startStoreUpkeep } from './upkeep.js';
