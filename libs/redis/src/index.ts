/** @nrelay/redis: Redis connections (single or cluster, retrying, fail-fast) and resilient pub/sub channels. */
export {
  bullmqConnectionOf,
  connectRedis,
  connectRedisOnce,
  quitRedis,
  type RedisClient,
  type RedisLogger,
  whenConnected,
} from './connection.js';
export { openPubSubChannel, type PubSubChannel, type PubSubChannelOptions } from './pubsub-channel.js';
export { openSubscription, publishOn } from './subscription.js';
export type { Subscription, SubscriptionOptions } from './subscription-api.js';
export {
  bullmqPrefixOf,
  describeRedisTarget,
  type RedisClusterSeed,
  type RedisTarget,
  redisTargetOf,
} from './target.js';
