import type { RedisLogger, RedisTarget } from '@nrelay/redis';
import { openPubSubChannel } from '@nrelay/redis';
import { type AccessChange, type AccessChangeBus, decodeAccessChange } from './access-changes.js';

/**
 * The channel on which access-control changes (NIP-86 management, admin follow lists) and
 * writes of stored events outside the ingest path are announced.
 */
export function aclChannel(prefix: string): string {
  return `${prefix}:acl`;
}

/** Options of the Redis access-change bus. */
export interface RedisAccessChangeBusOptions {
  /** The deployment's Redis; on a cluster the channel is a sharded one (SPUBLISH/SSUBSCRIBE). */
  target: RedisTarget;
  /** The deployment's channel, `aclChannel(prefix)`. */
  channel: string;
  logger: RedisLogger;
}

/** The cluster AccessChangeBus, with readiness. */
export interface RedisAccessChangeBus extends AccessChangeBus {
  /** Resolves once the channel is subscribed and publishing is connected. */
  ready(): Promise<void>;
  isReady(): boolean;
}

const EVERYTHING: readonly AccessChange[] = [
  { v: 1, what: 'acl' },
  { v: 1, what: 'follows' },
  { v: 1, what: 'events' },
];

/**
 * Access-control change announcements on Redis pub/sub: a management change on one gateway
 * reaches every gateway and ingest worker in milliseconds. Pub/sub is at most once, so after
 * the subscriber reconnects every handler is told that everything may have changed (a full
 * reload), and the state's periodic reload covers the rest.
 */
export function createRedisAccessChangeBus(options: RedisAccessChangeBusOptions): RedisAccessChangeBus {
  return openPubSubChannel<AccessChange>({
    ...options,
    role: 'acl',
    name: 'access-change',
    encode: (change) => JSON.stringify(change),
    decode: decodeAccessChange,
    describe: (change) => ({ change }),
    // Announcements sent while we were away are lost: reload everything.
    onResubscribed: (deliver) => {
      for (const change of EVERYTHING) deliver(change);
    },
  });
}
