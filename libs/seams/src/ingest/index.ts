/**
 * The ingest seam: EVENT in, OK out. The interface (./seam.ts), the in-process client
 * (standalone), the BullMQ client (gateway side of the cluster) and its server half (the worker,
 * the job and reply codec, the reply publisher, job claims and the heartbeat). docs/architecture.md
 * has the tour.
 *
 * Conformance: `ingestConformance` (`@nrelay/seams/ingest/conformance`, ./conformance.ts) checks
 * the IngestClient contract of ./seam.ts against a client wired to the real ingest pipeline on a
 * real store; services/ingest/src/conformance.test.ts runs it, unchanged, on the in-process
 * client (PGlite) and on the BullMQ client with its worker (real Redis, fresh Postgres database).
 */

export { type TraceCarrier, WireFormatError } from '../wire.js';
export { createBullmqIngestClient } from './bullmq-client.js';
export {
  type BullmqIngestClient,
  type BullmqIngestClientOptions,
  DEFAULT_JOB_ATTEMPTS,
  DEFAULT_JOB_BACKOFF_MS,
  DEFAULT_JOB_BATCH,
  DEFAULT_REPLY_DEADLINE_MS,
  INGEST_JOB_NAME,
  INGEST_UNAVAILABLE,
  OUTCOME_UNKNOWN,
  REPLY_TIMEOUT,
} from './bullmq-client-api.js';
export {
  decodeJobData,
  decodeReplies,
  encodeReplies,
  type IngestJobData,
  type IngestJobEntry,
  type IngestReply,
  requestFromJobEntry,
  toJobEntry,
} from './codec.js';
export {
  cancelJob,
  claimJob,
  type IngestHeartbeat,
  type IngestWorkerWatch,
  ingestAliveKey,
  JOB_FATE_TTL_MS,
  startIngestHeartbeat,
  watchIngestWorkers,
} from './coordination.js';
export { createInProcessIngestClient } from './in-process.js';
export {
  createIngestReplyPublisher,
  type IngestReplyPublisher,
  type IngestReplyPublisherOptions,
  replyChannel,
} from './reply-publisher.js';
export {
  type IngestClient,
  type IngestHandler,
  type IngestRequest,
  type IngestResult,
  SHUTTING_DOWN,
} from './seam.js';
export {
  type IngestWorker,
  type IngestWorkerOptions,
  startIngestWorker,
  TransientIngestError,
} from './worker.js';
