import type { FanoutBus, FanoutMessage } from './seam.js';

/**
 * The standalone FanoutBus: delivers each published message synchronously to every handler of
 * this process. A throwing handler is isolated so one bad subscriber cannot stop the others.
 */
export function createMemoryFanoutBus(onHandlerError?: (err: unknown) => void): FanoutBus {
  const handlers = new Set<(message: FanoutMessage) => void>();
  return {
    async publish(message) {
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
    async close() {
      handlers.clear();
    },
  };
}
