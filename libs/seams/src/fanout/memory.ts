import { FANOUT_CLOSED_MESSAGE, type FanoutBus, type FanoutMessage } from './seam.js';

/**
 * The standalone FanoutBus: delivers each published message synchronously to every handler of
 * this process. A throwing handler is isolated so one bad subscriber cannot stop the others.
 */
export function createMemoryFanoutBus(onHandlerError?: (err: unknown) => void): FanoutBus {
  const handlers = new Set<(message: FanoutMessage) => void>();
  let closed = false;
  return {
    async publish(message, signal) {
      signal.throwIfAborted();
      if (closed) throw new Error(FANOUT_CLOSED_MESSAGE);
      for (const handler of handlers) {
        try {
          handler(message);
        } catch (err) {
          onHandlerError?.(err);
        }
      }
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    // In one process nothing is lost between publish and handlers.
    watchContinuity() {
      return () => {};
    },
    // Delivery is synchronous: a resolved publish has reached every handler.
    async fence() {},
    async close() {
      closed = true;
      handlers.clear();
    },
  };
}
