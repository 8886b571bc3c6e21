import { randomBytes, randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { authFrame } from '@nrelay/protocol';
import type { HookLogger } from '@nrelay/runtime';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { tallyAnswer } from './answer-tally.js';
import type { ConnectionInfo } from './hooks.js';
import type { GatewayCounters, OutboundKind } from './stats.js';
import type { SubscriptionOwner } from './subscriptions/owner.js';
import type { Subscription } from './subscriptions/subscription.js';

/** ws option object for text frames sent from a pre-encoded Buffer; shared, never mutated. */
const TEXT_FRAME = { binary: false } as const;

/**
 * A random UUID as one flat string. Node's `randomUUID` joins 20 pieces with `+`, which V8 keeps
 * as a tree of concatenated strings (~490 bytes) for as long as the string lives; copied through
 * a Buffer it is 56 bytes.
 */
function flatUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}

/**
 * Why a connection's queries stop when it goes away: one shared reason, as the default is a new
 * DOMException with a stack trace per abort.
 */
const CONNECTION_RELEASED = new Error('connection closed');

/** The authenticated set of every connection that has not authenticated; never mutated. */
const NO_PUBKEYS: ReadonlySet<string> = new Set<string>();

/**
 * Per-connection state: identity, NIP-42 challenge and authenticated pubkeys, open
 * subscriptions, one child logger and the socket it writes to. Sending through `send` keeps
 * the outbound counters right and is a no-op once the socket is closing.
 *
 * An idle gateway holds tens of thousands of these, so everything a connection may never need
 * (the challenge, the pubkey set, the subscription map, the lifetime signal, the child logger)
 * is built on first use: a connection that only holds one subscription costs that
 * subscription plus a few fields (docs/operations.md "Capacity planning").
 */
export class Connection implements ConnectionInfo, HookLogger, SubscriptionOwner<Subscription> {
  /** Random connection id (a UUID), also given to ingest and logged as `conn`. */
  readonly id = flatUuid();
  /** Whether `["AUTH", challenge]` has been sent. */
  challengeSent = false;
  /** Cleared by each heartbeat ping, set by the pong; a peer still false at the next beat is dead. */
  alive = true;
  /** EVENTs of this connection handed to ingest (or to an asynchronous hook first) and not yet answered. */
  pendingSubmits = 0;
  /**
   * The URL this client connected to (Host, or a trusted proxy's forwarded host), which its
   * NIP-42 `relay` tag must name; set on accept only when RELAY_URL is unset.
   */
  connectUrl: string | undefined = undefined;
  /** COUNTs of this connection not answered yet; they count against MAX_SUBSCRIPTIONS. */
  pendingCounts = 0;
  /** Open NIP-77 sessions (kept by neg-sessions.ts); they count against MAX_SUBSCRIPTIONS. */
  negSessions = 0;
  private bufferedLiveBytes = 0;
  private nonce: string | undefined;
  private pubkeys: Set<string> | undefined;
  private subs: Map<string, Subscription> | undefined;
  private lifetimeController: AbortController | undefined;
  private released = false;
  private childLogger: Logger | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly ip: string,
    private readonly parentLogger: Logger,
    private readonly counters: GatewayCounters,
  ) {}

  /** The NIP-42 challenge of this connection (random, 128 bits), drawn on first use. */
  get challenge(): string {
    this.nonce ??= randomBytes(16).toString('hex');
    return this.nonce;
  }

  /** Pubkeys this connection has authenticated as (NIP-42); may hold several. */
  get authedPubkeys(): ReadonlySet<string> {
    return this.pubkeys ?? NO_PUBKEYS;
  }

  /** Adds `pubkey` to the authenticated set (a checked NIP-42 AUTH). */
  authenticate(pubkey: string): void {
    this.pubkeys ??= new Set();
    this.pubkeys.add(pubkey);
  }

  /** Bytes of live events buffered by all subscriptions still in their stored phase. */
  get storedPhaseBytes(): number {
    return this.bufferedLiveBytes;
  }

  /**
   * Adds `bytes` (negative: gives back) to the stored-phase buffers' shared count and returns
   * the new total, which SEND_MAX_BUFFERED_BYTES bounds; called by `Subscription` only.
   */
  bufferStoredPhase(bytes: number): number {
    this.bufferedLiveBytes += bytes;
    return this.bufferedLiveBytes;
  }

  /**
   * Subscription ids in use: open subscriptions plus COUNTs in flight (NIP-45) and NIP-77
   * sessions, which share MAX_SUBSCRIPTIONS. Builds nothing.
   */
  get idsInUse(): number {
    return (this.subs?.size ?? 0) + this.pendingCounts + this.negSessions;
  }

  /** Open subscriptions by id (the map is created by the first REQ that asks for it). */
  get subscriptions(): Map<string, Subscription> {
    this.subs ??= new Map();
    return this.subs;
  }

  /** Aborted when the connection goes away; cancels its in-flight COUNTs. Created on first use. */
  get lifetime(): AbortController {
    if (this.lifetimeController === undefined) {
      this.lifetimeController = new AbortController();
      // Every COUNT in flight listens (up to MAX_SUBSCRIPTIONS): not a leak.
      setMaxListeners(0, this.lifetimeController.signal);
      if (this.released) this.lifetimeController.abort(CONNECTION_RELEASED);
    }
    return this.lifetimeController;
  }

  /** The connection's child logger (`conn` = its id), built on the first line it logs. */
  get logger(): Logger {
    this.childLogger ??= this.parentLogger.child({ conn: this.id });
    return this.childLogger;
  }

  /**
   * Logs a failed hook on the child logger: a connection is the `HookLogger` of the hooks run
   * for it, so running hooks builds no logger until one fails.
   */
  error(obj: object, msg?: string): void {
    this.logger.error(obj, msg);
  }

  /**
   * Aborts every subscription's stored query and the lifetime signal, and forgets the
   * subscriptions; builds nothing that was not built already. Idempotent.
   */
  release(): void {
    this.released = true;
    const subs = this.subs;
    if (subs !== undefined) {
      for (const sub of subs.values()) sub.end(CONNECTION_RELEASED);
      subs.clear();
    }
    this.bufferedLiveBytes = 0;
    this.lifetimeController?.abort(CONNECTION_RELEASED);
  }

  /** Whether frames can still be sent. */
  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one text frame (a string, or its UTF-8 bytes built once for many recipients). */
  send(kind: OutboundKind, frame: string | Buffer): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.counters.messagesOut[kind]++;
    if (kind === 'OK' || kind === 'CLOSED') tallyAnswer(this.counters.answers, kind, frame);
    if (typeof frame === 'string') this.ws.send(frame);
    else this.ws.send(frame, TEXT_FRAME);
  }

  /**
   * Sends one frame and resolves once it has been handed to the kernel, i.e. once everything
   * queued before it has drained too: `true` then, `false` if that took longer than
   * `timeoutMs` (the peer stopped reading). Used for backpressure: ws calls the send callback
   * from the socket's write callback, which also fires (with an error) when the socket dies.
   */
  sendAndFlush(kind: OutboundKind, frame: string, timeoutMs: number): Promise<boolean> {
    if (this.ws.readyState !== WebSocket.OPEN) return Promise.resolve(true);
    this.counters.messagesOut[kind]++;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs, false);
      this.ws.send(frame, () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Sends the NIP-42 challenge once per connection. */
  sendChallenge(): void {
    if (this.challengeSent) return;
    this.challengeSent = true;
    this.send('AUTH', authFrame(this.challenge));
  }

  /** Starts the closing handshake; later sends are dropped. */
  close(code: number, reason: string): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(code, reason);
    }
  }
}
