import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Config } from '@nrelay/config';
import type { FanoutBus } from '@nrelay/seams/fanout';
import type { IngestClient } from '@nrelay/seams/ingest';
import type { QueryClient } from '@nrelay/seams/query';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { createClientAddressing } from './access/client-address.js';
import { type AuthChallengeTiming, createGatewayContext } from './context.js';
import { createDispatcher } from './dispatch.js';
import { createFanoutDelivery } from './fanout.js';
import { firstRejection, type GatewayHooks } from './hooks.js';
import { createHttpHandler, type HttpRoute, type RelayInfoOverrides } from './http.js';
import { type RelaySoftware, relayInformation } from './nip11.js';
import { ConnectionRegistry, HEARTBEAT_INTERVAL_MS } from './registry.js';
import type { GatewayStats } from './stats.js';
import { closeSuspended, type SuspendNotice } from './suspend.js';

/** What `createGateway` is composed from; `main.ts` files build these. */
export interface GatewayDeps extends RelaySoftware {
  ingest: IngestClient;
  query: QueryClient;
  fanout: FanoutBus;
  logger: Logger;
  /** Identifies this gateway to ingest (replies are routed back to it). */
  gatewayId: string;
  hooks?: Partial<GatewayHooks>;
  /** Extra HTTP routes on the relay port, tried before the built-in ones. */
  httpRoutes?: HttpRoute[];
  /** Run-time NIP-11 overrides (NIP-86 changerelayname/…), e.g. the access state's `relayInfo`. */
  relayInfo?: () => RelayInfoOverrides;
  /** When the NIP-42 challenge is sent; default `on-connect`. */
  authChallenge?: AuthChallengeTiming;
  /**
   * Stored queries the gateway runs at once, shared fairly between connections (cluster: the
   * query client's sockets; standalone: the database pool). Default 16.
   */
  querySlots?: number;
  /** Heartbeat ping interval; default {@link HEARTBEAT_INTERVAL_MS}. */
  heartbeatIntervalMs?: number;
  /**
   * Whether reads can be served (e.g. the query service is reachable); with listening and not
   * draining it is /readyz, what the load balancer routes on. Default: always.
   */
  readsReady?: () => boolean;
  /**
   * Whether EVENTs can be stored (queue reachable, an ingest worker alive); with reads it is
   * /readyz/write, for monitoring. EVENTs are refused at once while it is false. Default: always.
   */
  writesReady?: () => boolean;
}

/** A running (or ready to run) gateway: HTTP + WebSocket on one port. */
export type { SuspendNotice } from './suspend.js';

export interface Gateway {
  readonly server: Server;
  /** Starts listening on HOST:PORT; resolves with the bound address (PORT 0 picks one). */
  listen(): Promise<{ host: string; port: number }>;
  /**
   * Graceful shutdown within `graceMs` (default SHUTDOWN_GRACE_MS): readiness goes false, new
   * WebSocket connections get 503, in-flight EVENTs get their OK, then sockets close with 1001
   * and the listener closes. Calling it again returns the same promise.
   */
  close(graceMs?: number): Promise<void>;
  /** Plain counters and gauges. */
  stats(): GatewayStats;
  /**
   * Takes the gateway out of service while it keeps running (e.g. its live feed is lost):
   * readiness goes false and WebSocket upgrades get 503 until `resume()`; every open
   * subscription gets CLOSED, every connection a NOTICE, then, once its EVENTs in flight have
   * their OK (at most `graceMs`, default SHUTDOWN_GRACE_MS), a close with 1001 so clients
   * reconnect through the load balancer. Resolves with the number of connections it closed (0 while an
   * earlier suspension is still closing them, or once the gateway is closing).
   */
  suspend(why: SuspendNotice, graceMs?: number): Promise<number>;
  /** Ends a suspension: readiness and upgrades are back (connections closed stay closed). */
  resume(): void;
}

function refuseUpgrade(socket: Duplex, status: number, message: string, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${message}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** The `error` listener of a socket being upgraded: one function for every socket. */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** HTTP status of a refused upgrade: 429 for a rate limit, else 403. */
function refusalStatus(reason: string): [number, string] {
  return reason.startsWith('rate-limited:') ? [429, 'Too Many Requests'] : [403, 'Forbidden'];
}

/** HOST values that only this machine can reach. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Starts `server` on host:port and resolves with the bound address (port 0 picks a free one). */
function listenOn(server: NetServer, host: string, port: number): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({ host, port: typeof address === 'object' && address !== null ? address.port : port });
    });
  });
}

/** Resolves when `promise` settles or after `ms`, whichever is first; never rejects. */
async function waitAtMost(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  await Promise.race([promise.catch(() => undefined), timeout]);
  clearTimeout(timer);
}

/**
 * Builds a gateway: HTTP (NIP-11, page, health) and WebSocket (ws, noServer, no compression,
 * `maxPayload` = MAX_FRAME_BYTES) on one server, the per-verb handlers behind one dispatcher,
 * the live subscription index and one fanout subscription. Nothing listens until `listen()`.
 */
export function createGateway(config: Config, deps: GatewayDeps): Gateway {
  const logger = deps.logger;
  const ctx = createGatewayContext(config, deps);
  // TRUSTED_PROXIES / PROXY_PROTOCOL decide the client IP (libs/access client-ip.ts).
  const addressing = createClientAddressing(config, logger);
  const registry = new ConnectionRegistry(
    ctx,
    logger,
    createDispatcher(ctx),
    addressing.clientIp,
    config.RELAY_URL ? undefined : addressing.connectUrl,
  );
  if (!config.RELAY_URL && !LOOPBACK_HOSTS.has(config.HOST)) {
    logger.warn(
      { HOST: config.HOST },
      'RELAY_URL is unset: NIP-42 relay tags are checked against the Host header each client sends, which a client talking to this port directly chooses; set RELAY_URL on a public relay (docs/access-control.md)',
    );
  }
  const unsubscribe = deps.fanout.subscribe(createFanoutDelivery(ctx));
  let listening = false;
  let closing: Promise<void> | undefined;
  let suspended: SuspendNotice | undefined;
  let suspending: Promise<number> | undefined;
  // Reads, not writes: a Redis or ingest outage must not take read-only clients off this gateway
  // (a lost live feed does, through `suspend`).
  const readsReady = () =>
    listening && closing === undefined && suspended === undefined && (deps.readsReady?.() ?? true);

  const server = createServer(
    createHttpHandler({
      info: relayInformation(config, deps),
      relayUrl: config.RELAY_URL,
      isReady: readsReady,
      isWriteReady: () => readsReady() && (deps.writesReady?.() ?? true),
      routes: deps.httpRoutes ?? [],
      ...(deps.relayInfo ? { infoOverrides: deps.relayInfo } : {}),
    }),
  );
  const listener = addressing.listenerFor(server);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.MAX_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: false,
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // A shared listener: a closure here would keep this handler's scope (req, head) alive for
    // as long as the socket lives.
    socket.on('error', destroySocket);
    if (closing !== undefined) return refuseUpgrade(socket, 503, 'Service Unavailable', 'shutting down');
    if (suspended !== undefined) return refuseUpgrade(socket, 503, 'Service Unavailable', suspended.close);
    const ip = registry.ipOf(req);
    const verdict = firstRejection(ctx.hooks.rejectConnection, req, ip, logger);
    if (verdict === undefined) return upgrade(req, socket, head, ip);
    if (typeof verdict === 'string') return refuseConnection(socket, verdict);
    void verdict.then((reason) => {
      if (reason !== undefined) return refuseConnection(socket, reason);
      // Shutdown may have begun while the hooks ran.
      if (closing !== undefined) return refuseUpgrade(socket, 503, 'Service Unavailable', 'shutting down');
      if (suspended !== undefined) return refuseUpgrade(socket, 503, 'Service Unavailable', suspended.close);
      upgrade(req, socket, head, ip);
    });
  });

  function refuseConnection(socket: Duplex, reason: string): void {
    ctx.counters.connectionsRejected++;
    const [status, message] = refusalStatus(reason);
    refuseUpgrade(socket, status, message, reason);
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ip: string): void {
    // ws destroys a socket that closed while the hooks ran.
    wss.handleUpgrade(req, socket, head, (ws) => {
      // From here ws handles socket errors (and destroys the socket) itself.
      socket.off('error', destroySocket);
      registry.accept(ws, req, ip);
    });
  }
  registry.startHeartbeat(deps.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS);

  async function shutdown(graceMs: number): Promise<void> {
    const deadline = Date.now() + graceMs;
    // Part of the grace period is kept for the closing handshakes.
    const handshakeAllowance = Math.min(1000, graceMs / 4);
    // From here new EVENTs are answered `error: shutting down`; submitted ones get their OK.
    ctx.pending.beginDrain();
    logger.info({ pendingSubmits: ctx.pending.size, connections: registry.size }, 'gateway shutting down');
    // From here readiness is false and upgrades get 503; HTTP stays up so /readyz can say so.
    await waitAtMost(ctx.pending.idle(), deadline - handshakeAllowance - Date.now());
    unsubscribe();
    registry.stopHeartbeat();
    await registry.closeAll(1001, 'going away', deadline - Date.now());
    wss.close();
    const serverClosed = new Promise<void>((resolve) => listener.close(() => resolve()));
    server.closeAllConnections();
    if (listening) await serverClosed;
    listening = false;
    logger.info('gateway closed');
  }

  return {
    server,
    async listen() {
      const bound = await listenOn(listener, config.HOST, config.PORT);
      listening = true;
      logger.info(bound, 'gateway listening');
      return bound;
    },
    close(graceMs = config.SHUTDOWN_GRACE_MS) {
      closing ??= shutdown(graceMs);
      return closing;
    },
    stats() {
      const counters = ctx.counters;
      return {
        ...counters,
        messagesIn: { ...counters.messagesIn },
        messagesOut: { ...counters.messagesOut },
        connections: registry.size,
        subscriptions: ctx.index.size,
        pendingSubmits: ctx.pending.size,
        querySlotsInUse: ctx.slots.inUse,
        queriesWaiting: ctx.slots.waiting,
      };
    },
    suspend(why, graceMs = config.SHUTDOWN_GRACE_MS) {
      if (closing !== undefined) return Promise.resolve(0);
      suspended = why;
      if (suspending !== undefined) return Promise.resolve(0);
      suspending = closeSuspended({ ctx, registry, logger }, why, graceMs).finally(() => {
        suspending = undefined;
      });
      return suspending;
    },
    resume() {
      if (suspended !== undefined) logger.info('gateway resumed: ready again');
      suspended = undefined;
    },
  };
}
