import type { NegentropyItems } from '@nrelay/protocol';
import type { Connection } from './connection.js';

/**
 * One open NIP-77 session: its item set once loaded (sorted, packed, held in memory on the
 * gateway that owns the socket), the signal that cancels its load, its idle timer.
 */
export class NegSession {
  /** Undefined while the item set loads; NEG-MSG is refused until the first answer. */
  items: NegentropyItems | undefined = undefined;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly subId: string) {}

  /** Aborted when the session ends (NEG-CLOSE, replacement, idle timeout, disconnect). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Whether the session has ended; an answer computed for it is then dropped. */
  get closed(): boolean {
    return this.controller.signal.aborted;
  }

  /** Items held (0 while loading), for the connection's NEG_MAX_RECORDS budget. */
  get size(): number {
    return this.items?.size ?? 0;
  }

  /** (Re)starts the idle timer: `onIdle` runs after `ms` without another call. */
  arm(ms: number, onIdle: (session: NegSession) => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(onIdle, ms, this);
    this.timer.unref();
  }

  /** Ends the session: cancels its load, stops its timer and lets its item set go. */
  end(reason: Error): void {
    clearTimeout(this.timer);
    this.items = undefined;
    this.controller.abort(reason);
  }
}

const SESSION_CLOSED = new Error('negentropy session closed');

/**
 * The NIP-77 sessions of one connection. They count against MAX_SUBSCRIPTIONS through
 * `Connection.negSessions`, and all end when the connection goes away (its lifetime signal).
 */
class NegSessions {
  private readonly byId = new Map<string, NegSession>();

  constructor(private readonly conn: Connection) {
    conn.lifetime.signal.addEventListener('abort', () => this.endAll(), { once: true });
  }

  /** The open session with this id, if any. */
  get(subId: string): NegSession | undefined {
    return this.byId.get(subId);
  }

  /** Items held by all sessions of the connection. */
  get heldItems(): number {
    let n = 0;
    for (const session of this.byId.values()) n += session.size;
    return n;
  }

  /** Opens a session (the caller has ended any previous one with the id). */
  open(subId: string): NegSession {
    const session = new NegSession(subId);
    this.byId.set(subId, session);
    this.conn.negSessions = this.byId.size;
    return session;
  }

  /** Ends the session with this id; returns whether there was one. */
  end(subId: string): boolean {
    const session = this.byId.get(subId);
    if (session === undefined) return false;
    session.end(SESSION_CLOSED);
    this.byId.delete(subId);
    this.conn.negSessions = this.byId.size;
    return true;
  }

  private endAll(): void {
    for (const session of this.byId.values()) session.end(SESSION_CLOSED);
    this.byId.clear();
    this.conn.negSessions = 0;
  }
}

const perConnection = new WeakMap<Connection, NegSessions>();

/** The connection's sessions, created on its first NEG-OPEN; undefined if it never sent one. */
export function negSessionsOf(conn: Connection, create: boolean): NegSessions | undefined {
  let sessions = perConnection.get(conn);
  if (sessions === undefined && create) {
    sessions = new NegSessions(conn);
    perConnection.set(conn, sessions);
  }
  return sessions;
}
