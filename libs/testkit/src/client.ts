/**
 * THE WebSocket client of the tests: it records every frame verbatim, and every wait is bounded
 * and fails with the frames seen so far.
 */
import type { NostrEvent } from '@nrelay/protocol';
import { WebSocket } from 'ws';
import {
  type CloseInfo,
  eventTextOf,
  type Frame,
  frameText,
  type Message,
  type OkReply,
  parseMessage,
  type QueryResult,
  type WaitOptions,
} from './frames.js';

const DEFAULT_WAIT_MS = 5000;

/** How {@link RawClient.open} connects: handshake time limit and extra request headers. */
export interface OpenOptions {
  timeoutMs?: number;
  headers?: Record<string, string>;
}

/** Marks a send's promise as handled, so a send the test does not await cannot fail the run. */
function quiet(p: Promise<void>): Promise<void> {
  p.catch(() => {});
  return p;
}

/**
 * A WebSocket client that records every frame verbatim, for asserting the exact wire. Every
 * wait is bounded and fails with the frames seen so far. Sends resolve once written and reject
 * if the socket could not take the frame; one the test does not await fails nothing.
 */
export class RawClient {
  /** Every text frame received, in order. */
  readonly frames: Frame[] = [];
  private readonly wakers = new Set<() => void>();
  private closeInfo: CloseInfo | undefined;
  private subSeq = 0;

  /** The socket itself, for what a test does to it directly (pause reading, terminate). */
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? `<binary ${frameText(data).length} bytes>` : frameText(data);
      this.frames.push({ raw, msg: isBinary ? undefined : parseMessage(raw) });
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this.wake();
    });
    // Errors (e.g. EPIPE while the relay drops an oversized frame) end in 'close'; keep them quiet.
    ws.on('error', () => {});
  }

  /**
   * Connects to `url` (`timeoutMs` alone, or options with request headers); frames sent by the
   * relay right after the handshake are recorded too.
   */
  static open(url: string, options: number | OpenOptions = {}): Promise<RawClient> {
    const { timeoutMs = DEFAULT_WAIT_MS, headers } =
      typeof options === 'number' ? { timeoutMs: options } : options;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 64 * 1024 * 1024, ...(headers ? { headers } : {}) });
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

  /** The parsed messages of every frame that was a JSON array, in order. */
  get messages(): Message[] {
    const out: Message[] = [];
    for (const f of this.frames) if (f.msg !== undefined) out.push(f.msg);
    return out;
  }

  /** Messages with the given verb (and subscription id), in order. */
  all(verb: string, subId?: string): Message[] {
    return this.messages.filter((m) => m[0] === verb && (subId === undefined || m[1] === subId));
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
    return quiet(
      new Promise((resolve, reject) => {
        this.ws.send(frame, (err) => (err ? reject(err) : resolve()));
      }),
    );
  }

  /**
   * Sends `bytes` as one frame, verbatim: a binary frame, or (`binary: false`) a text frame
   * whose payload need not be valid UTF-8, as a hostile client would send it.
   */
  sendBytes(bytes: Buffer, binary: boolean): Promise<void> {
    return quiet(
      new Promise((resolve, reject) => {
        this.ws.send(bytes, { binary }, (err) => (err ? reject(err) : resolve()));
      }),
    );
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

  /** Resolves with the message of the first frame at or after `from` that satisfies `match`. */
  async next(match: (msg: Message) => boolean, from = 0, timeoutMs = DEFAULT_WAIT_MS): Promise<Message> {
    return (await this.waitFor((msg) => match(msg), { from, timeoutMs })).msg;
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
