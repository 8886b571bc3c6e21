/**
 * The client IP of a request. The socket peer is the client unless the peer is a trusted proxy
 * (TRUSTED_PROXIES); then the address the proxy reports — a PROXY protocol header (when
 * PROXY_PROTOCOL is on) and/or X-Forwarded-For — is walked from the right.
 *
 * Why the right-most untrusted X-Forwarded-For hop, not the left-most: every proxy APPENDS the
 * address it received the request from, so reading right to left, each hop was written by the
 * (trusted) proxy to its right, until the first untrusted one. Everything left of that hop was
 * supplied by the untrusted party itself and may be forged: a client sending
 * `X-Forwarded-For: 1.2.3.4` through a proxy arrives as `1.2.3.4, <real ip>`; taking the first
 * hop would let any client pick its own IP past IP_DENY and the per-IP rate limits.
 */
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import { Server, type Socket } from 'node:net';
import { type CidrList, ipInList, normaliseIp, parseIp } from './cidr.js';
import { parseProxyHeader } from './proxy-protocol.js';

/** Client address a PROXY header gave for a socket (only set for trusted peers). */
const PROXY_SOURCE = new WeakMap<object, string>();

/** How long a trusted peer has to send its PROXY header (or first bytes) before it is dropped. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

/** One X-Forwarded-For hop as an address: quotes, `[v6]:port` and `v4:port` forms are accepted. */
function hopAddress(hop: string): string | undefined {
  let text = hop.trim();
  if (text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    text = text.slice(1, close);
  } else if (text.indexOf(':') === text.lastIndexOf(':') && text.includes('.')) {
    const colon = text.indexOf(':');
    if (colon >= 0) text = text.slice(0, colon);
  }
  return parseIp(text) === undefined ? undefined : normaliseIp(text);
}

/** Resolves the client IP of a request (see the module comment); the result is normalised. */
export type ClientIpResolver = (req: IncomingMessage) => string;

/**
 * Builds the resolver for TRUSTED_PROXIES. The chain is X-Forwarded-For hops, then the PROXY
 * header's source (if any), then the socket peer; it is walked from the right while hops are
 * trusted. An unparseable hop ends the walk at the trusted hop to its right; when every hop is
 * trusted, the left-most one is the client.
 */
export function createClientIpResolver(trusted: CidrList): ClientIpResolver {
  const noProxies = trusted.v4.length === 0 && trusted.v6.length === 0;
  return function clientIp(req) {
    const peer = normaliseIp(req.socket.remoteAddress ?? 'unknown');
    if (noProxies || !ipInList(peer, trusted)) return peer;
    let current = peer;
    const proxied = PROXY_SOURCE.get(req.socket);
    if (proxied !== undefined) {
      current = proxied;
      if (!ipInList(proxied, trusted)) return proxied;
    }
    const header = req.headers['x-forwarded-for'];
    if (header === undefined) return current;
    const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hopAddress(hops[i]!);
      if (hop === undefined) return current;
      current = hop;
      if (!ipInList(hop, trusted)) return hop;
    }
    return current;
  };
}

/** Options of {@link ProxyProtocolServer}. */
export interface ProxyProtocolOptions {
  /** Peers allowed to send a header (TRUSTED_PROXIES); others go straight to HTTP. */
  trusted: CidrList;
  /** Default {@link PROXY_HEADER_TIMEOUT_MS}. */
  headerTimeoutMs?: number;
  /** Told about every connection dropped for a bad or missing header. */
  onReject?: (peer: string, reason: string) => void;
}

/**
 * A TCP listener in front of an HTTP server that reads a PROXY protocol v1/v2 header from
 * trusted peers, then hands the socket to the HTTP server (`http.emit('connection')`, the
 * documented way to inject connections) with the bytes after the header put back. Untrusted
 * peers are handed over untouched, so a header they send is just a bad HTTP request. A trusted
 * peer may also omit the header (e.g. a local health check); a malformed header, or silence past
 * the timeout, drops the connection. `listen` and `close` on this server, not on the HTTP one:
 * its 'listening' is passed on to the HTTP server (which starts its connection tracking, hence
 * `closeAllConnections` and request timeouts, on that event) and `close` closes both.
 */
export class ProxyProtocolServer extends Server {
  private readonly pending = new Set<Socket>();

  constructor(
    private readonly http: HttpServer,
    private readonly options: ProxyProtocolOptions,
  ) {
    super();
    this.on('connection', (socket: Socket) => this.accept(socket));
    this.on('listening', () => http.emit('listening'));
  }

  /** Stops listening and drops connections still waiting for their header. */
  override close(callback?: (err?: Error) => void): this {
    for (const socket of this.pending) socket.destroy();
    this.pending.clear();
    // Stops the HTTP server's timeout checks and closes its idle keep-alive connections.
    this.http.close();
    return super.close(callback);
  }

  private accept(socket: Socket): void {
    const peer = normaliseIp(socket.remoteAddress ?? 'unknown');
    if (!ipInList(peer, this.options.trusted)) {
      this.http.emit('connection', socket);
      return;
    }
    this.pending.add(socket);
    let received: Buffer = Buffer.alloc(0);
    const done = (): void => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('error', onError);
      this.pending.delete(socket);
    };
    const reject = (reason: string): void => {
      done();
      this.options.onReject?.(peer, reason);
      socket.destroy();
    };
    const onReadable = (): void => {
      for (
        let chunk = socket.read() as Buffer | null;
        chunk !== null;
        chunk = socket.read() as Buffer | null
      ) {
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      }
      const header = parseProxyHeader(received);
      if (header.state === 'incomplete') return;
      if (header.state === 'invalid') {
        reject(header.reason);
        return;
      }
      done();
      const rest = header.state === 'complete' ? received.subarray(header.length) : received;
      if (header.state === 'complete' && header.source !== undefined) PROXY_SOURCE.set(socket, header.source);
      if (rest.length > 0) socket.unshift(rest);
      this.http.emit('connection', socket);
      socket.resume();
    };
    const onEnd = (): void => reject('connection ended before the PROXY header');
    const onError = (): void => reject('socket error before the PROXY header');
    const timer = setTimeout(
      () => reject('no PROXY header in time'),
      this.options.headerTimeoutMs ?? PROXY_HEADER_TIMEOUT_MS,
    );
    timer.unref();
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('error', onError);
  }
}

/** Builds a {@link ProxyProtocolServer} in front of `http`. */
export function createProxyProtocolServer(http: HttpServer, options: ProxyProtocolOptions): Server {
  return new ProxyProtocolServer(http, options);
}
