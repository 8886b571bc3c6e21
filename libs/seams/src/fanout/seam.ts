import type { NostrEvent } from '@nrelay/protocol';

/** An accepted event on its way to every gateway. */
export interface FanoutMessage {
  v: 1;
  event: NostrEvent;
  raw: string;
  /** Milliseconds since the epoch when the event was accepted (committed, or validated if ephemeral). */
  acceptedAt: number;
  trace?: Record<string, string>;
}

/** Publish accepted events; receive every accepted event of the cluster. */
export interface FanoutBus {
  publish(message: FanoutMessage, signal?: AbortSignal): Promise<void>;
  /** Registers a handler; returns a function that removes it. Handlers must not throw. */
  subscribe(handler: (message: FanoutMessage) => void): () => void;
  close(): Promise<void>;
}
