export {
  type CloseInfo,
  type Draft,
  eventTextOf,
  eventWithoutPow,
  type Frame,
  flipHex,
  idOf,
  type Keys,
  type Message,
  mineEvent,
  newKeys,
  nowSec,
  type OkReply,
  type QueryResult,
  RawClient,
  randomHex,
  randomWord,
  signEvent,
  type WaitOptions,
} from '@nrelay/testkit';
export {
  type ClusterRelay,
  type ClusterRelayOptions,
  clusterProcesses,
  freePortBlock,
  startClusterRelay,
} from './cluster.js';
export { connectRelay, newPool, storedEvents } from './nostr.js';
export { ADMIN_DATABASE_URL, createTestDatabase, type TestDatabase } from './postgres.js';
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
