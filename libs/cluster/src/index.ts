/**
 * @nrelay/cluster: the cluster implementations of the three seams (BullMQ IngestClient, HTTP
 * QueryClient, Redis FanoutBus), the worker side of ingest replies, and their wire formats.
 */

export { createBalancedQueryClient } from './balanced-query-client.js';
export {
  type BullmqIngestClient,
  type BullmqIngestClientOptions,
  createBullmqIngestClient,
  DEFAULT_JOB_ATTEMPTS,
  DEFAULT_JOB_BACKOFF_MS,
  DEFAULT_JOB_BATCH,
  DEFAULT_REPLY_DEADLINE_MS,
  INGEST_JOB_NAME,
  INGEST_UNAVAILABLE,
  OUTCOME_UNKNOWN,
  REPLY_TIMEOUT,
} from './bullmq-ingest-client.js';
export {
  decodeFanout,
  decodeJobData,
  decodeReplies,
  encodeFanout,
  encodeReplies,
  type IngestJobData,
  type IngestJobEntry,
  type IngestReply,
  requestFromJobEntry,
  type TraceCarrier,
  toJobEntry,
  WireFormatError,
} from './codec.js';
export {
  createHttpQueryClient,
  type HttpQueryClientOptions,
  QueryServiceError,
  type QueryServiceErrorCode,
} from './http-query-client.js';
export {
  cancelJob,
  claimJob,
  type IngestHeartbeat,
  type IngestWorkerWatch,
  ingestAliveKey,
  JOB_FATE_TTL_MS,
  startIngestHeartbeat,
  watchIngestWorkers,
} from './ingest-coordination.js';
export {
  createIngestReplyPublisher,
  type IngestReplyPublisher,
  type IngestReplyPublisherOptions,
} from './ingest-reply-publisher.js';
export {
  LineSplitter,
  NDJSON_END_LINE,
  NDJSON_ERROR_START,
  ndjsonErrorLine,
  ndjsonEventLine,
  ndjsonEventLines,
} from './ndjson.js';
export { openPubSubChannel, type PubSubChannel, type PubSubChannelOptions } from './pubsub-channel.js';
export {
  aclChannel,
  type ClusterLogger,
  connectRedis,
  connectRedisOnce,
  quitRedis,
  replyChannel,
  whenConnected,
} from './redis.js';
export {
  createRedisAccessChangeBus,
  type RedisAccessChangeBus,
  type RedisAccessChangeBusOptions,
} from './redis-access-changes.js';
export { createRedisFanoutBus, type RedisFanoutBus, type RedisFanoutBusOptions } from './redis-fanout.js';
export {
  createRedisRateLimiters,
  RATE_LIMIT_COMMAND_TIMEOUT_MS,
  RATE_LIMIT_SCRIPT,
  type RedisRateLimiters,
  type RedisRateLimitersOptions,
  rateLimitKeyPrefix,
} from './redis-rate-limit.js';
export { bearerOf, createSecretCheck, isLoopbackHost } from './service-secret.js';
