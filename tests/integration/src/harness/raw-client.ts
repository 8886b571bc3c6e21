import type { NostrEvent } from 'nostr-tools/pure';
import { type RawData, WebSocket } from 'ws';

/** A relay message as parsed JSON (`undefined` when the frame was not a JSON array). */
export type Message = readonly unknown[];

/** One received text frame, kept verbatim next to its parse. */
export interface Frame {
  readonly raw: string;
  readonly msg: Message | undefined;
}

/** The close code and reason the connection ended with. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Bounds for {@link RawClient.waitFor}: search frames from index `from`, for at most `timeoutMs`. */
export interface WaitOptions {
  timeoutMs?: number;
  from?: number;
  /** Words for the error message: what was awaited. */
  what?: string;
}

/** The relay's `["OK", id, accepted, message]` answer. */
export interface OkReply {
  readonly ok: boolean;
  readonly message: string;
  readonly raw: string;
}

/** Stored results of one REQ: events in arrival order, their verbatim JSON, and how it ended. */
export interface QueryResult {
  readonly subId: string;
  readonly events: NostrEvent[];
  readonly texts: string[];
  readonly end: 'EOSE' | 'CLOSED';
  /** The CLOSED message, when `end` is `CLOSED`. */
  readonly reason: string;
}

const DEFAULT_WAIT_MS = 5000;

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function parse(raw: string): Message | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The verbatim event object inside an `["EVENT", sub, {...}]` frame. */
export function eventTextOf(raw: string): string {
  return raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1);
}

/**
 * A WebSocket client that records every frame verbatim, for asserting the exact wire. Every
 * wait is bounded and fails with the frames seen so far.
 */
export class RawClient {
  /** Every text frame received, in order. */
  readonly frames: Frame[] = [];
  private readonly wakers = new Set<() => void>();
  private closeInfo: CloseInfo | undefined;
  private subSeq = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? `<binary ${text(data).length} bytes>` : text(data);
      this.frames.push({ raw, msg: isBinary ? undefined : parse(raw) });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    // Errors (e.g. EPIPE while the relay drops an oversized frame) end in 'close'; keep them quiet.
    ws.on('error', () => {});
  }

  /** Connects to `url`; frames sent by the relay right after the handshake are recorded too. */
  static open(url: string, timeoutMs = DEFAULT_WAIT_MS): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024 });
      const client = new RawClient(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`connecting to ${url} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Whether the connection has closed, and how. */
  get closed(): CloseInfo | undefined {
    return this.closeInfo;
  }

  /** Index of the next frame to arrive; pass it as `from` to look only at later frames. */
  mark(): number {
    return this.frames.length;
  }

  /** A subscription id not used before on this client. */
  nextSubId(prefix = 'sub'): string {
    this.subSeq += 1;
    return `${prefix}-${this.subSeq}`;
  }

  /** Sends one text frame verbatim. */
  send(frame: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.send(frame, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Sends `bytes` as one frame, verbatim: a binary frame, or (`binary: false`) a text frame
   * whose payload need not be valid UTF-8, as a hostile client would send it.
   */
  sendBytes(bytes: Buffer, binary: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.send(bytes, { binary }, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Sends `JSON.stringify(msg)`. */
  sendJson(msg: unknown): Promise<void> {
    return this.send(JSON.stringify(msg));
  }

  /** Resolves with the first frame at or after `from` that satisfies `pred`, and its index. */
  async waitFor(
    pred: (msg: Message, raw: string) => boolean,
    opts: WaitOptions = {},
  ): Promise<Frame & { msg: Message; index: number }> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_MS;
    const from = opts.from ?? 0;
    const what = opts.what ?? 'a matching frame';
    const deadline = Date.now() + timeoutMs;
    let next = from;
    for (;;) {
      for (; next < this.frames.length; next++) {
        const f = this.frames[next]!;
        if (f.msg !== undefined && pred(f.msg, f.raw)) return { raw: f.raw, msg: f.msg, index: next };
      }
      if (this.closeInfo) {
        const { code, reason } = this.closeInfo;
        throw new Error(
          `connection closed (${code} "${reason}") while waiting for ${what}; ${this.recent(from)}`,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no ${what} within ${timeoutMs} ms; ${this.recent(from)}`);
      await this.nextWake(remaining);
    }
  }

  /** Resolves with the close code and reason once the connection has closed. */
  async waitClose(timeoutMs = DEFAULT_WAIT_MS): Promise<CloseInfo> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closeInfo) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`connection still open after ${timeoutMs} ms; ${this.recent(0)}`);
      await this.nextWake(remaining);
    }
    return this.closeInfo;
  }

  /** Closes the connection (normal closure) without waiting. */
  close(): void {
    if (!this.closeInfo) this.ws.close(1000);
  }

  /** Sends `["EVENT", event]` (an object, or JSON text sent verbatim) and awaits its OK. */
  async publish(event: NostrEvent | string, timeoutMs = DEFAULT_WAIT_MS): Promise<OkReply> {
    const body = typeof event === 'string' ? event : JSON.stringify(event);
    const id = typeof event === 'string' ? (JSON.parse(event) as { id: unknown }).id : event.id;
    const from = this.mark();
    await this.send(`["EVENT",${body}]`);
    const f = await this.waitFor((m) => m[0] === 'OK' && m[1] === id, {
      from,
      timeoutMs,
      what: `OK for ${id}`,
    });
    if (typeof f.msg[2] !== 'boolean' || typeof f.msg[3] !== 'string') {
      throw new Error(`malformed OK frame: ${f.raw}`);
    }
    return { ok: f.msg[2], message: f.msg[3], raw: f.raw };
  }

  /**
   * Sends `["REQ", subId, ...filters]` and collects stored events until EOSE or CLOSED. With
   * `keepOpen` the subscription stays live; otherwise a CLOSE follows the EOSE.
   */
  async query(
    filters: readonly unknown[],
    opts: { subId?: string; keepOpen?: boolean; timeoutMs?: number } = {},
  ): Promise<QueryResult> {
    const subId = opts.subId ?? this.nextSubId('q');
    const from = this.mark();
    await this.send(JSON.stringify(['REQ', subId, ...filters]));
    const end = await this.waitFor((m) => (m[0] === 'EOSE' || m[0] === 'CLOSED') && m[1] === subId, {
      from,
      timeoutMs: opts.timeoutMs,
      what: `EOSE or CLOSED for ${subId}`,
    });
    const texts = this.frames
      .slice(from, end.index)
      .filter((f) => f.msg?.[0] === 'EVENT' && f.msg[1] === subId)
      .map((f) => eventTextOf(f.raw));
    if (end.msg[0] === 'EOSE' && !opts.keepOpen) await this.sendJson(['CLOSE', subId]);
    return {
      subId,
      events: texts.map((t) => JSON.parse(t) as NostrEvent),
      texts,
      end: end.msg[0] as 'EOSE' | 'CLOSED',
      reason: typeof end.msg[2] === 'string' ? end.msg[2] : '',
    };
  }

  /** Resolves with the live `["EVENT", subId, event]` for `eventId` arriving at or after `from`. */
  async nextEvent(subId: string, eventId: string, from: number, timeoutMs = DEFAULT_WAIT_MS): Promise<Frame> {
    return this.waitFor(
      (m) => m[0] === 'EVENT' && m[1] === subId && (m[2] as { id?: unknown } | null)?.id === eventId,
      { from, timeoutMs, what: `EVENT ${eventId} on ${subId}` },
    );
  }

  /** EVENT frames for `subId` (optionally only event `eventId`) received at or after `from`. */
  eventsOn(subId: string, from = 0, eventId?: string): Frame[] {
    return this.frames
      .slice(from)
      .filter(
        (f) =>
          f.msg?.[0] === 'EVENT' &&
          f.msg[1] === subId &&
          (eventId === undefined || (f.msg[2] as { id?: unknown } | null)?.id === eventId),
      );
  }

  /** A round trip (REQ for an id nobody has, then EOSE) so earlier replies have had their turn. */
  async barrier(): Promise<void> {
    const r = await this.query([{ ids: ['f'.repeat(64)] }]);
    if (r.end !== 'EOSE') throw new Error(`barrier REQ was CLOSED: ${r.reason}`);
  }

  private recent(from: number): string {
    const seen = this.frames.slice(from);
    if (seen.length === 0) return 'no frames received';
    const shown = seen.slice(-8).map((f) => (f.raw.length > 300 ? `${f.raw.slice(0, 300)}…` : f.raw));
    return `last frames received: ${shown.join(' | ')}`;
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  private nextWake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }
}
