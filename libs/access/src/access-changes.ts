/**
 * Change announcements of the access-control state: whoever changes it in Postgres (NIP-86
 * management, an admin's new kind 3) announces it, and every process reloads its in-memory
 * copy. In-process for the standalone relay; Redis pub/sub in a cluster (./redis-access-changes.ts).
 */

/**
 * What changed: the management tables (`acl`), an admin's follow list (`follows`), or stored
 * events outside the ingest path (`events`: a bulk import, direct SQL), which nothing else
 * announces: the gateways' hot windows re-warm and the follow lists reload.
 */
export type AccessChangeKind = 'acl' | 'follows' | 'events';

/** One announcement; versioned like every internal message. */
export interface AccessChange {
  v: 1;
  what: AccessChangeKind;
}

/**
 * Carries announcements to every process of the deployment (the announcer's own handlers
 * included). Delivery is at most once; the state also reloads periodically to heal losses.
 */
export interface AccessChangeBus {
  publish(change: AccessChange): Promise<void>;
  /** Registers a handler; returns the function that removes it. */
  subscribe(handler: (change: AccessChange) => void): () => void;
  /**
   * Resolves once every announcement whose `publish` had resolved before this call has reached
   * this bus's handlers (see FanoutBus.fence); rejects when it cannot tell.
   */
  fence(): Promise<void>;
  close(): Promise<void>;
}

/** Parses an announcement; undefined when it is not one (unknown version or kind). */
export function decodeAccessChange(text: string): AccessChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { v, what } = value as Record<string, unknown>;
  if (v !== 1 || (what !== 'acl' && what !== 'follows' && what !== 'events')) return undefined;
  return { v, what };
}

/** The standalone bus: delivers each announcement to this process's handlers, isolated from each other. */
export function createMemoryAccessChangeBus(onHandlerError?: (err: unknown) => void): AccessChangeBus {
  const handlers = new Set<(change: AccessChange) => void>();
  return {
    async publish(change) {
      for (const handler of handlers) {
        try {
          handler(change);
        } catch (err) {
          onHandlerError?.(err);
        }
      }
    },
    subscribe(handler) {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
    // Delivery is synchronous: a resolved publish has reached every handler.
    async fence() {},
    async close() {
      handlers.clear();
    },
  };
}
