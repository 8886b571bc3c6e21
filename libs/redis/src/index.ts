/** @nrelay/redis: Redis connections (retrying, fail-fast) and a resilient pub/sub channel. */
export { connectRedis, connectRedisOnce, quitRedis, type RedisLogger, whenConnected } from './connection.js';
export { openPubSubChannel, type PubSubChannel, type PubSubChannelOptions } from './pubsub-channel.js';
