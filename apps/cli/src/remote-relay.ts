import { WebSocket } from 'ws';

/** A frame from the remote relay: a JSON array, and the text it came as (events keep theirs). */
export interface RemoteFrame {
  message: unknown[];
  text: string;
}

/** Longest frame accepted from the remote relay (an event plus its envelope). */
const MAX_FRAME_BYTES = 16 << 20;
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * A client connection to another relay (`ws`), for sync and mirror. Every frame goes to each
 * handler added with `onFrame` (each picks its subscription's); one that is not a JSON array is
 * ignored.
 */
export class RemoteRelay {
  readonly #handlers = new Set<(frame: RemoteFrame) => void>();
  /** Resolves when the connection is closed, from either side, with the reason if any. */
  readonly closed: Promise<string>;

  private constructor(
    readonly url: string,
    private readonly socket: WebSocket,
  ) {
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => resolve(`closed (${code}${reason.length ? ` ${reason}` : ''})`));
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch {
        return;
      }
      if (!Array.isArray(message)) return;
      for (const handler of this.#handlers) handler({ message, text });
    });
    socket.on('error', () => {
      // Surfaces as 'close' (and a failed open); nothing else to do here.
    });
  }

  /** Connects to `url` (ws:// or wss://); rejects after 10 s or on an error. */
  static async open(url: string): Promise<RemoteRelay> {
    const socket = new WebSocket(url, { maxPayload: MAX_FRAME_BYTES, handshakeTimeout: CONNECT_TIMEOUT_MS });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (err) => reject(new Error(`cannot connect to ${url}: ${err.message}`)));
    });
    return new RemoteRelay(url, socket);
  }

  /** Adds a handler of every incoming frame; returns the function that removes it. */
  onFrame(handler: (frame: RemoteFrame) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  /** Sends one message; false when the connection is no longer open. */
  send(message: unknown[] | string): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  /** Resolves once what was sent has left (the socket's buffer is below `bytes`). */
  async flushed(bytes = 1 << 20): Promise<void> {
    while (this.socket.readyState === WebSocket.OPEN && this.socket.bufferedAmount > bytes) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * The event text of an `["EVENT", subId, {...}]` frame: the first `{` after the subscription id
 * (ours, without braces) to the last `}` is exactly the event's text as the remote sent it.
 */
export function eventTextOf(frame: RemoteFrame): string {
  return frame.text.slice(frame.text.indexOf('{'), frame.text.lastIndexOf('}') + 1);
}
