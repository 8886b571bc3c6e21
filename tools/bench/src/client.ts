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
const MAX_RECEIVED_FRAME_BYTES = 16 * 1024 * 1024;

/** Default time allowed for a WebSocket handshake. */
const CONNECT_TIMEOUT_MS = 10_000;

const EVENT_PREFIX = Buffer.from('["EVENT","');
const ID_KEY = Buffer.from('"id":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

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
    ws.on('message', (data: Buffer, isBinary) => {
      const at = performance.now();
      if (isBinary) {
        this.malformed++;
        return;
      }
      if (this.handlers.eventId && this.dispatchEventId(data, at)) return;
      this.dispatch(data.toString(), at);
    });
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
   * Cuts the subscription id and event id out of an EVENT frame's bytes, without decoding the
   * frame: at a hundred thousand deliveries a second, turning each frame into a string costs
   * the client more than everything else. Inside an event only the top level has keys, and
   * quotes within string values are escaped, so the first `"id":"` after the subscription id is
   * the event's id. Returns false (parse normally) on anything unusual.
   */
  private dispatchEventId(data: Buffer, at: number): boolean {
    const start = EVENT_PREFIX.length;
    if (data.length < start || data.compare(EVENT_PREFIX, 0, start, 0, start) !== 0) return false;
    const subEnd = data.indexOf(QUOTE, start);
    if (subEnd < 0 || data.lastIndexOf(BACKSLASH, subEnd) >= start) return false;
    const idAt = data.indexOf(ID_KEY, subEnd);
    const idStart = idAt + ID_KEY.length;
    if (idAt < 0 || data[idStart + 64] !== QUOTE) return false;
    this.handlers.eventId?.(
      data.toString('utf8', start, subEnd),
      data.toString('latin1', idStart, idStart + 64),
      at,
    );
    return true;
  }

  private dispatch(text: string, at: number): void {
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
        // A frame the fast path passed on still reaches an id-only handler.
        if (h.event) h.event(msg[1], msg[2] as ReceivedEvent, at);
        else h.eventId?.(msg[1], String((msg[2] as ReceivedEvent | undefined)?.id), at);
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
