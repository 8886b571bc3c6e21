import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RelayInformation } from '@nrelay/protocol';
import { relayPage } from './nip11.js';

/**
 * An extra HTTP route (e.g. /metrics later): returns true when it answered the request.
 * Routes run in order before the built-in ones, so they may also override them.
 */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** What the built-in HTTP routes need. */
export interface HttpOptions {
  info: RelayInformation;
  /** Public ws(s) URL; when unset the page derives it from the Host header. */
  relayUrl: string | undefined;
  /** /readyz: the gateway can serve reads (what a load balancer routes on). */
  isReady: () => boolean;
  /** /readyz/write: EVENTs can also be stored. Default: `isReady`. */
  isWriteReady?: () => boolean;
  routes: readonly HttpRoute[];
  /**
   * Run-time overrides of `info` (NIP-86 changerelayname/description/icon). The document is
   * rebuilt only when this returns a different object, so it must return the same one until
   * something changed (the access state does).
   */
  infoOverrides?: () => RelayInfoOverrides;
}

/** NIP-11 fields an admin may change at run time; unset fields keep the configured value. */
export type RelayInfoOverrides = Readonly<
  Partial<Pick<RelayInformation, 'name' | 'description' | 'icon' | 'self'>>
>;

/** `info` with the current overrides applied, and its JSON, recomputed only when they change. */
function currentInfo(options: HttpOptions): () => { info: RelayInformation; json: string } {
  let overrides: RelayInfoOverrides | undefined;
  let current = { info: options.info, json: JSON.stringify(options.info) };
  return () => {
    const next = options.infoOverrides?.();
    if (next === undefined || next === overrides) return current;
    overrides = next;
    const info = { ...options.info };
    for (const key of ['name', 'description', 'icon'] as const) {
      const value = next[key];
      if (value !== undefined) info[key] = value;
    }
    // The stored identity fills `self` unless RELAY_SELF configured one.
    if (info.self === undefined && next.self !== undefined) info.self = next.self;
    current = { info, json: JSON.stringify(info) };
    return current;
  };
}

/** NIP-11 asks for these on the information document so browser clients can read it. */
export const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': '*',
  'Access-Control-Allow-Methods': 'GET, OPTIONS',
} as const;

function wantsNip11(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('application/nostr+json');
}

function wsUrlOf(req: IncomingMessage, relayUrl: string | undefined): string {
  if (relayUrl) return relayUrl;
  const proto = req.headers['x-forwarded-proto'] === 'https' ? 'wss' : 'ws';
  return `${proto}://${req.headers.host ?? 'localhost'}/`;
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * The HTTP side of the relay port: extra routes first, then `GET /` (NIP-11 JSON with CORS
 * for `Accept: application/nostr+json`, else an HTML page), OPTIONS preflight, `/healthz`,
 * `/readyz` (503 while reads cannot be served), `/readyz/write` (503 while EVENTs cannot be
 * stored either); anything else is 404.
 */
export function createHttpHandler(options: HttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const infoNow = currentInfo(options);
  return function handleHttp(req, res) {
    for (const route of options.routes) if (route(req, res)) return;
    const path = (req.url ?? '/').split('?', 1)[0];
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') {
      res.writeHead(204, { ...CORS_HEADERS, 'Access-Control-Max-Age': '86400' });
      res.end();
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD, OPTIONS');
      text(res, 405, 'method not allowed\n');
      return;
    }
    if (path === '/healthz') return text(res, 200, 'ok\n');
    if (path === '/readyz')
      return options.isReady() ? text(res, 200, 'ready\n') : text(res, 503, 'not ready\n');
    if (path === '/readyz/write')
      return (options.isWriteReady ?? options.isReady)()
        ? text(res, 200, 'ready to write\n')
        : text(res, 503, 'not ready to write\n');
    if (path !== '/') return text(res, 404, 'not found\n');
    const { info, json: nip11 } = infoNow();
    if (wantsNip11(req)) {
      res.writeHead(200, {
        ...CORS_HEADERS,
        'Content-Type': 'application/nostr+json',
        'Content-Length': Buffer.byteLength(nip11),
      });
      res.end(method === 'HEAD' ? undefined : nip11);
      return;
    }
    const page = relayPage(info, wsUrlOf(req, options.relayUrl));
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(page),
    });
    res.end(method === 'HEAD' ? undefined : page);
  };
}
