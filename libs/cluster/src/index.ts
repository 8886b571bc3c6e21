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
  INGEST_JOB_NAME,
  REPLY_TIMEOUT,
} from './bullmq-ingest-client.js';
export {
  decodeFanout,
  decodeJobData,
  decodeReply,
  encodeFanout,
  encodeReply,
  type IngestJobData,
  type IngestReply,
  requestFromJobData,
  type TraceCarrier,
  toJobData,
  WireFormatError,
} from './codec.js';
export {
  createHttpQueryClient,
  type HttpQueryClientOptions,
  QueryServiceError,
  type QueryServiceErrorCode,
} from './http-query-client.js';
export {
  createIngestReplyPublisher,
  DEFAULT_OUTCOME_TTL_MS,
  type IngestReplyPublisher,
  type IngestReplyPublisherOptions,
} from './ingest-reply-publisher.js';
export {
  LineSplitter,
  NDJSON_END_LINE,
  NDJSON_ERROR_START,
  ndjsonErrorLine,
  ndjsonEventLine,
} from './ndjson.js';
export { openPubSubChannel, type PubSubChannel, type PubSubChannelOptions } from './pubsub-channel.js';
export {
  aclChannel,
  type ClusterLogger,
  connectRedis,
  outcomeKey,
  quitRedis,
  replyChannel,
  waitersKey,
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
