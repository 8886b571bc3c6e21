/**
 * `@nrelay/testkit`: what every package's tests share, and only tests may import (the
 * `testkit-only-in-tests` dependency rule): the WebSocket test client and the event signer.
 */
export { type OpenOptions, RawClient } from './client.js';
export {
  type Draft,
  eventStream,
  eventWithoutPow,
  flipHex,
  idOf,
  type Keys,
  keysOf,
  mineEvent,
  type NostrEvent,
  newKeys,
  nowSec,
  type RawEvent,
  randomHex,
  randomWord,
  signEvent,
  signedRaw,
  TEST_KEYS,
} from './events.js';
export {
  type CloseInfo,
  eventTextOf,
  type Frame,
  type Message,
  type OkReply,
  type QueryResult,
  type WaitOptions,
} from './frames.js';
