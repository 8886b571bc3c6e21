import http from 'node:http';
import type { Logger } from 'pino';
import { InvalidQueryError } from './errors.js';
import { parseQueryRequest, QueryRequestError, readBody } from './http-request.js';
import { ItemsRequestError, serveItems } from './items-http.js';
import { MIN_LSN_HEADER, PRIMARY_LSN_HEADER, parseLsn } from './lsn.js';
import { NDJSON_END_LINE, ndjsonErrorLine, ndjsonEventLines } from './ndjson.js';
import type { QueryClient, QueryRequest } from './seam.js';
import { createSecretCheck } from './service-secret.js';

/** Options of the query service's HTTP server. */
export interface QueryHttpServerOptions {
  engine: QueryClient;
  logger: Logger;
  /** Largest request body accepted; larger ones are answered 413. */
  maxBodyBytes: number;
  /** /readyz answers 200 only when this resolves true (e.g. the database answers). */
  ready?: () => boolean | Promise<boolean>;
  /** How long an idle keep-alive connection stays open (default 65 s, above common LB idle timeouts). */
  keepAliveTimeoutMs?: number;
  /**
   * QUERY_SECRET: /query and /count answer 401 unless `Authorization: Bearer <secret>` (checked
   * in constant time). Unset = no check (the caller allows that only on loopback).
   */
  secret?: string;
  /**
   * Read replicas on (ADR 0024): the primary's current WAL position, read for each request that
   * came without a `x-nrelay-min-lsn` bound and sent back as `x-nrelay-primary-lsn`, so the
   * gateway has a bound to start from. Undefined (or a failure) sends nothing.
   */
  primaryLsn?: () => Promise<string | undefined>;
  /** Extra routes (e.g. /metrics), tried first; each returns true when it answered. */
  routes?: ReadonlyArray<(req: http.IncomingMessage, res: http.ServerResponse) => boolean>;
}

/** Idle keep-alive connections are kept this long by default. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;

/**
 * Builds (does not start) the query service's HTTP server: `POST /query` streams NDJSON (one
 * raw event per line as rows arrive, then `{"eose":true}`, or `{"error":...}` on a failure part
 * way), `POST /count` answers `{"count":n}`, `POST /items` a NIP-77 item set (./items-http.ts),
 * plus `/healthz` and `/readyz`. A client that goes
 * away aborts the engine's signal, which cancels the SQL.
 */
export function createQueryHttpServer(options: QueryHttpServerOptions): http.Server {
  const { engine, logger } = options;
  const authorized = options.secret ? createSecretCheck(options.secret) : () => true;

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    for (const route of options.routes ?? []) if (route(req, res)) return;
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (path === '/readyz') {
      const ready = await isReady();
      return sendJson(res, ready ? 200 : 503, { ready });
    }
    if (path !== '/query' && path !== '/count' && path !== '/items') {
      return sendJson(res, 404, { error: 'not found' });
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, { error: `${path} takes POST` });
    }
    // Any viewer's privileged events are one request away: only a gateway may ask.
    if (!authorized(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer');
      res.setHeader('connection', 'close');
      return sendJson(res, 401, { error: 'unauthorized: QUERY_SECRET does not match' });
    }
    let request: QueryRequest;
    try {
      request = parseQueryRequest(await readBody(req, options.maxBodyBytes));
      const minLsn = req.headers[MIN_LSN_HEADER];
      if (typeof minLsn === 'string') {
        if (parseLsn(minLsn) === undefined)
          throw new QueryRequestError(400, `${MIN_LSN_HEADER} must be a WAL position (X/Y)`);
        request.minLsn = minLsn;
      }
    } catch (err) {
      if (!(err instanceof QueryRequestError)) throw err;
      if (err.status === 413) res.setHeader('connection', 'close');
      return sendJson(res, err.status, { error: err.message });
    }
    const abort = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) abort.abort(new Error('the query client went away'));
    };
    res.on('close', onClose);
    if (request.minLsn === undefined && options.primaryLsn) await sendPrimaryLsn(res, options.primaryLsn);
    try {
      if (path === '/query') await stream(request, res, abort.signal);
      else if (path === '/items') await serveItems(engine, request, req.url ?? path, res, abort.signal);
      else await serveCount(request, req.url ?? path, res, abort.signal);
    } catch (err) {
      if (abort.signal.aborted) return;
      // The request's own fault (InvalidQueryError): 422, which the client answers `invalid:`.
      if (err instanceof InvalidQueryError && !res.headersSent)
        return sendJson(res, 422, { error: err.message });
      if (err instanceof ItemsRequestError && !res.headersSent)
        return sendJson(res, err.status, { error: err.message });
      logger.error({ err, path }, 'query request failed');
      if (!res.headersSent) sendJson(res, 500, { error: `${path.slice(1)} failed` });
      else res.destroy();
    } finally {
      res.off('close', onClose);
    }
  }

  /** /count, and /count?hll=<offset> (NIP-45 registers) when the engine builds them. */
  async function serveCount(
    request: QueryRequest,
    url: string,
    res: http.ServerResponse,
    signal: AbortSignal,
  ) {
    const hll = new URL(url, 'http://query').searchParams.get('hll');
    const hllOffset = hll === null || !/^\d{1,2}$/.test(hll) ? undefined : Number(hll);
    if (hllOffset !== undefined && engine.countHll !== undefined) {
      sendJson(res, 200, await engine.countHll({ ...request, hllOffset }, signal));
    } else sendJson(res, 200, { count: await engine.count(request, signal) });
  }

  async function sendPrimaryLsn(res: http.ServerResponse, primaryLsn: () => Promise<string | undefined>) {
    try {
      const lsn = await primaryLsn();
      if (lsn !== undefined) res.setHeader(PRIMARY_LSN_HEADER, lsn);
    } catch (err) {
      // The read that follows goes to the same primary and answers the failure.
      logger.warn({ err }, 'could not read the primary WAL position');
    }
  }

  async function isReady(): Promise<boolean> {
    try {
      return options.ready ? await options.ready() : true;
    } catch (err) {
      logger.warn({ err }, 'readiness check failed');
      return false;
    }
  }

  async function stream(request: QueryRequest, res: http.ServerResponse, signal: AbortSignal): Promise<void> {
    res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
    // The headers normally leave with the first batch (one write); a query slower than
    // HEADERS_FLUSH_MS sends them alone, so the client's wait for headers stays short.
    let headersTimer: NodeJS.Timeout | undefined = setTimeout(flushHeaders, HEADERS_FLUSH_MS, res);
    // What is written in one tick (a batch, and the end line after the last one) leaves in
    // one write: cork now, uncork next tick.
    let corked = false;
    const uncork = () => {
      corked = false;
      res.uncork();
    };
    try {
      for await (const batch of engine.query(request, signal)) {
        if (headersTimer !== undefined) {
          clearTimeout(headersTimer);
          headersTimer = undefined;
        }
        // Backpressure: wait for the client before writing more. Checked before a write rather
        // than after it: a page is often above the high-water mark by itself, and waiting
        // after it would hold back the end line (and the client's EOSE) for a round of drain.
        if (res.writableNeedDrain) await drained(res);
        if (signal.aborted) return;
        if (!corked) {
          corked = true;
          res.cork();
          process.nextTick(uncork);
        }
        res.write(ndjsonEventLines(batch));
      }
      if (!signal.aborted) res.end(NDJSON_END_LINE + '\n');
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof InvalidQueryError) {
        res.end(ndjsonErrorLine(err.message, { invalid: true }) + '\n');
        return;
      }
      logger.error({ err }, 'query failed while streaming');
      res.end(ndjsonErrorLine('query failed') + '\n');
    } finally {
      clearTimeout(headersTimer);
    }
  }

  const server = http.createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err }, 'query http handler failed');
      res.destroy();
    });
  });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  // Must exceed keepAliveTimeout, or Node closes idle sockets early (nodejs/node#27363).
  server.headersTimeout = server.keepAliveTimeout + 1_000;
  return server;
}

/**
 * How long a query may run before its response headers are sent on their own. Within it the
 * headers ride with the first batch of rows; past it the client (which times out waiting for
 * headers, QUERY_TIMEOUT_MS) knows the service is working on it.
 */
const HEADERS_FLUSH_MS = 50;

function flushHeaders(res: http.ServerResponse): void {
  if (!res.destroyed) res.flushHeaders();
}

/** Resolves when the response can take more data, or is gone. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
