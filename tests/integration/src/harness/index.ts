export {
  type ClusterRelay,
  type ClusterRelayOptions,
  clusterProcesses,
  freePortBlock,
  startClusterRelay,
} from './cluster.js';
export {
  type Draft,
  eventWithoutPow,
  flipHex,
  idOf,
  type Keys,
  mineEvent,
  newKeys,
  nowSec,
  randomHex,
  randomWord,
  signEvent,
} from './events.js';
export { connectRelay, newPool, storedEvents } from './nostr.js';
export { ADMIN_DATABASE_URL, createTestDatabase, type TestDatabase } from './postgres.js';
export {
  type CloseInfo,
  eventTextOf,
  type Frame,
  type Message,
  type OkReply,
  type QueryResult,
  RawClient,
  type WaitOptions,
} from './raw-client.js';
export {
  deleteRedisPrefix,
  type OwnRedis,
  type RedisReply,
  RespClient,
  SHARED_REDIS_URL,
  startOwnRedis,
  uniqueRedisPrefix,
  waitForRedis,
} from './redis.js';
export { type StandaloneOptions, startStandalone } from './standalone.js';
export { FrameTally } from './tally.js';
export type { RelayUnderTest, StartOptions, StartRelay } from './types.js';
export { httpStatus, waitForReady, waitUntil } from './wait.js';
