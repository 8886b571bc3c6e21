import WebSocket from 'ws';

/**
 * A minimal NIP-01 client on `ws`: frames are sent as text, every incoming frame is parsed once
 * and handed to one handler object by its label. No reconnects, no queues: a benchmark must see
 * what the relay does, not what a client library smooths over.
 */

/** The parts of a received EVENT the scenarios look at. */
export interface ReceivedEvent {
  id: string;
  pubkey: string;
  kind: number;
  created_at: number;
  tags: string[][];
}

/** Callbacks for relay messages; `at` is `performance.now()` when the frame was read. */
export interface RelayHandlers {
  ok?(id: string, accepted: boolean, reason: string, at: number): void;
  event?(subId: string, event: ReceivedEvent, at: number): void;
  /**
   * When set, EVENT frames are not parsed: only the subscription id and event id are cut out
   * of the text, so a client holding hundreds of subscriptions is not limited by JSON.parse.
   */
  eventId?(subId: string, id: string, at: number): void;
  eose?(subId: string, at: number): void;
  closed?(subId: string, reason: string, at: number): void;
  notice?(message: string): void;
}

/** Largest frame accepted from the relay; `ws` would default to 100 MiB. */
export const MAX_RECEIVED_FRAME_BYTES = 16 * 1024 * 1024;

/** Default time allowed for a WebSocket handshake. */
export const CONNECT_TIMEOUT_MS = 10_000;

const EVENT_PREFIX = '["EVENT","';
const ID_KEY = '"id":"';

/** One WebSocket connection to a relay. */
export class RelaySocket {
  /** Replace to receive messages; unhandled labels are dropped. */
  handlers: RelayHandlers = {};
  /** Frames that were not valid relay messages. */
  malformed = 0;
  /** Set once the socket closed, with the close code. */
  closeCode: number | undefined;
  private readonly closed: Promise<void>;

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.once('close', (code) => {
        this.closeCode = code;
        resolve();
      });
    });
    ws.on('message', (data, isBinary) => this.dispatch(isBinary ? '' : data.toString()));
    // Errors after the handshake surface as a close; the scenario sees missing replies.
    ws.on('error', () => {});
  }

  /** Opens a connection; rejects if the handshake fails or takes longer than `timeoutMs`. */
  static connect(url: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<RelaySocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: MAX_RECEIVED_FRAME_BYTES,
        handshakeTimeout: timeoutMs,
      });
      const fail = (err: Error): void => {
        ws.removeAllListeners();
        ws.on('error', () => {});
        ws.terminate();
        reject(new Error(`cannot connect to ${url}: ${err.message}`));
      };
      ws.once('error', fail);
      ws.once('open', () => {
        ws.off('error', fail);
        resolve(new RelaySocket(ws));
      });
    });
  }

  /** True while frames can be sent. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued locally and not yet written to the socket. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends `["EVENT", <raw>]` using the event's JSON text as is. */
  publish(rawEvent: string): void {
    this.ws.send(`["EVENT",${rawEvent}]`);
  }

  /** Sends `["REQ", subId, ...filters]`. */
  req(subId: string, filters: readonly object[]): void {
    this.ws.send(JSON.stringify(['REQ', subId, ...filters]));
  }

  /** Sends `["CLOSE", subId]`. */
  closeSub(subId: string): void {
    this.ws.send(JSON.stringify(['CLOSE', subId]));
  }

  /** Closes the connection and waits (at most `timeoutMs`) for the close to complete. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closeCode !== undefined) return;
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), timeoutMs);
    await this.closed;
    clearTimeout(timer);
  }

  /**
   * Cuts the subscription id and event id out of an EVENT frame. Inside an event only the top
   * level has keys, and quotes within string values are escaped, so the first `"id":"` after
   * the subscription id is the event's id. Returns false (parse normally) on anything unusual.
   */
  private dispatchEventId(text: string, at: number): boolean {
    const subEnd = text.indexOf('"', EVENT_PREFIX.length);
    if (subEnd < 0 || text.lastIndexOf('\\', subEnd) > EVENT_PREFIX.length - 1) return false;
    const idAt = text.indexOf(ID_KEY, subEnd);
    if (idAt < 0 || text.charCodeAt(idAt + ID_KEY.length + 64) !== 34) return false;
    const subId = text.slice(EVENT_PREFIX.length, subEnd);
    this.handlers.eventId?.(subId, text.slice(idAt + ID_KEY.length, idAt + ID_KEY.length + 64), at);
    return true;
  }

  private dispatch(text: string): void {
    const at = performance.now();
    if (this.handlers.eventId && text.startsWith(EVENT_PREFIX) && this.dispatchEventId(text, at)) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.malformed++;
      return;
    }
    if (!Array.isArray(msg) || typeof msg[1] !== 'string') {
      this.malformed++;
      return;
    }
    const h = this.handlers;
    switch (msg[0]) {
      case 'OK':
        h.ok?.(msg[1], msg[2] === true, typeof msg[3] === 'string' ? msg[3] : '', at);
        return;
      case 'EVENT':
        h.event?.(msg[1], msg[2] as ReceivedEvent, at);
        return;
      case 'EOSE':
        h.eose?.(msg[1], at);
        return;
      case 'CLOSED':
        h.closed?.(msg[1], typeof msg[2] === 'string' ? msg[2] : '', at);
        return;
      case 'NOTICE':
        h.notice?.(msg[1]);
        return;
      default:
        this.malformed++;
    }
  }
}

/**
 * Opens `count` connections, at most `parallel` handshakes at a time, and reports each one to
 * `onOpen`. On the first failure the already open sockets are closed and the error is thrown.
 */
export async function connectMany(
  url: string,
  count: number,
  parallel: number,
  onOpen: (done: number) => void = () => {},
): Promise<RelaySocket[]> {
  const sockets: RelaySocket[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      sockets.push(await RelaySocket.connect(url));
      onOpen(sockets.length);
    }
  };
  const results = await Promise.allSettled(Array.from({ length: Math.min(parallel, count) }, worker));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await closeAll(sockets);
    throw failure.reason;
  }
  return sockets;
}

/** Closes every socket, in parallel. */
export async function closeAll(sockets: readonly RelaySocket[]): Promise<void> {
  await Promise.all(sockets.map((s) => s.close()));
}

/** The NIP-01 reason prefix of an OK or CLOSED message (`duplicate`, `invalid`, …), or `(none)`. */
export function reasonPrefix(reason: string): string {
  const m = /^([a-z-]+):/.exec(reason);
  return m ? (m[1] as string) : '(none)';
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
