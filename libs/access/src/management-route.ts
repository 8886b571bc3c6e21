/**
 * NIP-86 over HTTP on the relay's own port: a gateway HTTP route answering `POST <relay path>`
 * with `Content-Type: application/nostr+json+rpc`, authorized by NIP-98 for admins only.
 * A change is saved in Postgres, applied to this process's state before the answer, and
 * announced so every other process reloads.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessChangeBus } from './access-changes.js';
import {
  callManagementMethod,
  type ManagementBackend,
  parseRpcRequest,
  type RpcContext,
} from './management-rpc.js';
import type { ManagedAccessState } from './management-state.js';
import { DEFAULT_NIP98_WINDOW_SECONDS, verifyNip98 } from './nip98.js';
import type { PublicOriginResolver } from './public-url.js';

/** The NIP-86 content type. */
export const NIP86_CONTENT_TYPE = 'application/nostr+json+rpc';
/** Largest request body accepted; management requests are a few hundred bytes. */
export const DEFAULT_MAX_RPC_BODY_BYTES = 65_536;

/** The logger methods the route uses. */
export interface ManagementLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of `createManagementRoute`. */
export interface ManagementRouteOptions {
  backend: ManagementBackend;
  /** This process's state: admin levels are read from it, and it is reloaded after a change. */
  state: Pick<ManagedAccessState, 'levelOf' | 'reload'>;
  changes: AccessChangeBus;
  /** ADMIN_PUBKEYS. */
  admins: readonly string[];
  /** RELAY_URL: its path is where the route listens and its host what NIP-98 `u` must name. */
  relayUrl: string | undefined;
  /**
   * The origin each request was sent to (RELAY_URL, else Host or a trusted proxy's
   * X-Forwarded-Host/Proto: `createPublicOriginResolver`); default the Host header.
   */
  publicOrigin?: PublicOriginResolver;
  logger: ManagementLogger;
  windowSeconds?: number;
  maxBodyBytes?: number;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  // `*` does not cover Authorization in a preflight: it must be named.
  'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
} as const;

function pathOf(url: string): string {
  const path = url.split('?', 1)[0] ?? '/';
  return path.replace(/\/+$/, '') || '/';
}

function relayPath(relayUrl: string | undefined): string {
  if (!relayUrl) return '/';
  try {
    return pathOf(new URL(relayUrl).pathname);
  } catch {
    return '/';
  }
}

function send(res: ServerResponse, status: number, body: object, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...CORS,
    ...extra,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

function fail(res: ServerResponse, status: number, error: string, extra?: Record<string, string>): void {
  send(res, status, { result: null, error }, extra);
}

/** Reads the body up to `max` bytes; undefined when it is larger (the request is then answered). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return resolve(undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        resolve(undefined);
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * The NIP-86 route: returns false (letting other routes answer) for anything but a POST of
 * the NIP-86 content type to the relay path, or a CORS preflight for one. The authorization
 * binds the URL, the method and the body's hash for a short window; the same request may be
 * repeated within it (a client sending one call twice in a second signs the same event), and
 * TLS keeps the header from being captured. Answers 401 without
 * a valid NIP-98 authorization, 403 when the signer is not an admin (ADMIN_PUBKEYS or level
 * admin), 400 for a malformed request, 413 for a large body, 500 when the store fails, and
 * otherwise 200 `{"result": …}`.
 */
export function createManagementRoute(
  opts: ManagementRouteOptions,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const path = relayPath(opts.relayUrl);
  const admins = new Set(opts.admins.map((a) => a.toLowerCase()));
  const windowSeconds = opts.windowSeconds ?? DEFAULT_NIP98_WINDOW_SECONDS;
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_RPC_BODY_BYTES;
  const now = opts.now ?? Date.now;
  const ctx: RpcContext = { backend: opts.backend, admins };
  const { logger } = opts;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, maxBody);
    if (body === undefined) {
      fail(res, 413, `request body larger than ${maxBody} bytes`, { Connection: 'close' });
      return;
    }
    const base = opts.relayUrl || opts.publicOrigin?.(req) || `http://${req.headers.host ?? 'localhost'}`;
    const url = new URL(req.url ?? '/', base).toString();
    const auth = verifyNip98(req.headers.authorization, {
      url,
      method: 'POST',
      body,
      now: Math.floor(now() / 1000),
      windowSeconds,
    });
    const challenge = { 'WWW-Authenticate': 'Nostr' };
    if (!auth.ok) return fail(res, 401, `unauthorized: ${auth.reason}`, challenge);
    if (!admins.has(auth.pubkey) && opts.state.levelOf(auth.pubkey) !== 'admin') {
      return fail(res, 403, 'forbidden: this pubkey is not a relay admin');
    }
    const request = parseRpcRequest(body.toString('utf8'));
    if (typeof request === 'string') return fail(res, 400, request);
    const outcome = await callManagementMethod(request, ctx);
    if (!outcome.ok) {
      if (outcome.status === 500)
        logger.error({ err: outcome.cause, method: request.method }, 'management call failed');
      return fail(res, outcome.status, outcome.error);
    }
    if (outcome.writes) {
      logger.info(
        { admin: auth.pubkey, method: request.method, params: request.params },
        'management change',
      );
      await opts.state.reload();
      await opts.changes.publish({ v: 1, what: 'acl' }).catch((err: unknown) => {
        logger.warn(
          { err },
          'announcing a management change failed; other processes pick it up on their next reload',
        );
      });
    }
    send(res, 200, { result: outcome.result });
  }

  return (req, res) => {
    if (pathOf(req.url ?? '/') !== path) return false;
    if (req.method === 'OPTIONS') {
      if (String(req.headers['access-control-request-method'] ?? '').toUpperCase() !== 'POST') return false;
      res.writeHead(204, { ...CORS, 'Access-Control-Max-Age': '86400' });
      res.end();
      return true;
    }
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
    if (req.method !== 'POST' || type !== NIP86_CONTENT_TYPE) return false;
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'management request failed');
      if (!res.headersSent) fail(res, 500, 'error: internal error');
      else res.destroy();
    });
    return true;
  };
}
