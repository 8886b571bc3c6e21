import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import type { Dispatcher } from './dispatch.js';
import type { ConnectionInfo } from './hooks.js';
import { releaseConnection } from './lifecycle.js';

/** Default interval between heartbeat pings; a peer that misses one full interval is dropped. */
export const HEARTBEAT_INTERVAL_MS = 30_000;

/** The socket peer's address: the client IP when no proxy is trusted. */
export function peerIp(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * The open connections of one gateway: wires each accepted socket to the dispatcher, runs the
 * connect/disconnect hooks, pings every connection on a heartbeat (terminating peers that did
 * not answer the previous ping) and closes them all on shutdown. The socket listeners are built
 * once per registry and find their connection by socket, so a connection adds no closures.
 */
export class ConnectionRegistry {
  private readonly connections = new Map<WebSocket, Connection>();
  private emptyWaiters: Array<() => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly onMessage: (this: WebSocket, data: Buffer, isBinary: boolean) => void;
  private readonly onPong: (this: WebSocket) => void;
  private readonly onError: (this: WebSocket, err: Error) => void;
  private readonly onClose: (this: WebSocket, code: number) => void;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly logger: Logger,
    dispatch: Dispatcher,
    /** The client IP of an upgrade request (trusted proxies applied, see `access/client-address.ts`). */
    private readonly clientIp: (req: IncomingMessage) => string = peerIp,
    /** The URL a client connected to (`access/client-address.ts`); unset when RELAY_URL is set. */
    private readonly connectUrl?: (req: IncomingMessage) => string | undefined,
  ) {
    const connections = this.connections;
    this.onMessage = function onMessage(data, isBinary) {
      const conn = connections.get(this);
      if (conn !== undefined) dispatch(conn, data, isBinary);
    };
    this.onPong = function onPong() {
      const conn = connections.get(this);
      if (conn !== undefined) conn.alive = true;
    };
    // ws reports protocol violations here (e.g. a frame above maxPayload, closed with 1009).
    this.onError = function onError(err) {
      connections
        .get(this)
        ?.logger.info({ err: err.message, code: (err as { code?: string }).code }, 'socket error');
    };
    const registry = this;
    this.onClose = function onClose(code) {
      registry.forget(this, code);
    };
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /** The client address of an upgrade request, as hooks and connections see it. */
  ipOf(req: IncomingMessage): string {
    return this.clientIp(req);
  }

  /**
   * Takes over a freshly upgraded socket; `ip` is `ipOf(req)` when the caller already has it.
   * Nothing of `req` is kept: the connection holds its IP string only.
   */
  accept(ws: WebSocket, req: IncomingMessage, ip: string = this.ipOf(req)): void {
    const ctx = this.ctx;
    const conn = new Connection(ws, ip, this.logger, ctx.counters);
    if (this.connectUrl !== undefined) conn.connectUrl = this.connectUrl(req);
    this.connections.set(ws, conn);
    ctx.counters.connectionsAccepted++;
    ws.on('message', this.onMessage);
    ws.on('pong', this.onPong);
    ws.on('error', this.onError);
    ws.on('close', this.onClose);
    // Guarded: an unguarded call would build the child logger of every connection.
    if (this.logger.isLevelEnabled('debug')) conn.logger.debug({ ip: conn.ip }, 'connected');
    if (ctx.authChallenge === 'on-connect') conn.sendChallenge();
    for (const hook of ctx.hooks.onConnect) observe(hook, conn);
  }

  private forget(ws: WebSocket, code: number): void {
    const conn = this.connections.get(ws);
    if (conn === undefined) return;
    releaseConnection(this.ctx, conn);
    this.connections.delete(ws);
    if (this.logger.isLevelEnabled('debug')) conn.logger.debug({ code }, 'disconnected');
    for (const hook of this.ctx.hooks.onDisconnect) observe(hook, conn);
    if (this.connections.size > 0) return;
    const waiters = this.emptyWaiters;
    this.emptyWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Starts pinging every `intervalMs`; the timer does not keep the process alive. */
  startHeartbeat(intervalMs: number): void {
    this.heartbeat = setInterval(() => this.beat(), intervalMs);
    this.heartbeat.unref();
  }

  private beat(): void {
    for (const conn of this.connections.values()) {
      if (!conn.alive) {
        conn.logger.debug('heartbeat missed, terminating');
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      conn.ws.ping();
    }
  }

  /** Stops the heartbeat pings (shutdown). */
  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
  }

  /** Calls `visit` with every open connection. */
  forEach(visit: (conn: Connection) => void): void {
    for (const conn of this.connections.values()) visit(conn);
  }

  /**
   * Ends the subscriptions of every connection with no EVENT awaiting its OK and sends it a
   * close frame, without waiting; returns how many connections still await an OK.
   */
  closeAnswered(code: number, reason: string): number {
    let awaiting = 0;
    for (const conn of this.connections.values()) {
      if (conn.pendingSubmits > 0) awaiting++;
      else this.closeOne(conn, code, reason);
    }
    return awaiting;
  }

  private closeOne(conn: Connection, code: number, reason: string): void {
    releaseConnection(this.ctx, conn);
    conn.close(code, reason);
  }

  /**
   * Ends every subscription, sends a close frame to every connection and waits up to
   * `timeoutMs` for the closing handshakes; whoever is left is terminated.
   */
  async closeAll(code: number, reason: string, timeoutMs: number): Promise<void> {
    for (const conn of this.connections.values()) this.closeOne(conn, code, reason);
    if (this.connections.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.emptyWaiters.push(resolve);
        timer = setTimeout(resolve, Math.max(0, timeoutMs));
      });
      clearTimeout(timer);
    }
    for (const conn of this.connections.values()) conn.ws.terminate();
  }
}

function observe(hook: (conn: ConnectionInfo) => void, conn: Connection): void {
  try {
    hook(conn);
  } catch (err) {
    conn.logger.error({ err }, 'connection hook failed');
  }
}
