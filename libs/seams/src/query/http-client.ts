import http from 'node:http';
import type { RedisLogger } from '@nrelay/redis';
import { InvalidQueryError } from './errors.js';
import { itemsPost, readItems } from './items-http.js';
import { MIN_LSN_HEADER, PRIMARY_LSN_HEADER } from './lsn.js';
import { LineSplitter, NDJSON_END_LINE, NDJSON_ERROR_START } from './ndjson.js';
import type { ItemsRequest, QueryClient, QueryRequest } from './seam.js';
import { bearerOf } from './service-secret.js';

/** Options of the HTTP QueryClient. */
export interface HttpQueryClientOptions {
  /** The query service, e.g. `http://query:8081`. */
  baseUrl: string;
  logger: RedisLogger;
  /** Most concurrent requests (sockets) to the query service; more wait in the agent's queue. */
  maxSockets: number;
  /**
   * Time to get a pooled socket, connect and receive the response headers; the stream itself
   * has no deadline here (the gateway bounds a stalled one, STALLED_STREAM_TIMEOUT_MS).
   */
  requestTimeoutMs: number;
  /** QUERY_SECRET, sent as `Authorization: Bearer …` (the query service requires it off loopback). */
  secret?: string;
  /**
   * Called with the primary's WAL position when the service answers a request sent without a
   * `minLsn` with one (read replicas on, ADR 0024): a read-your-writes bound to start from.
   */
  onPrimaryLsn?: (lsn: string, request: QueryRequest | ItemsRequest) => void;
}

/** What went wrong talking to the query service. */
export type QueryServiceErrorCode = 'unreachable' | 'timeout' | 'status' | 'failed' | 'cut';

/**
 * A query that could not be answered in full: the service is unreachable or slow to answer,
 * answered an error status, reported a failure mid-stream, or the stream was cut before its
 * end marker. `message` is fit for a CLOSED `error: ...` reason.
 */
export class QueryServiceError extends Error {
  override readonly name = 'QueryServiceError';
  constructor(
    readonly code: QueryServiceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const MAX_SMALL_BODY = 64 * 1024;

/**
 * The cluster QueryClient: POSTs the request to the query service over a keep-alive socket
 * pool and yields the NDJSON lines (raw event JSON) of each chunk as one batch as it arrives. Pulling is the
 * backpressure: an unread stream stops the service's writes and, through them, its SQL. The
 * request is aborted (the socket destroyed, so the service cancels its SQL) when the signal
 * fires or the consumer stops iterating.
 */
export function createHttpQueryClient(options: HttpQueryClientOptions): QueryClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:') throw new Error(`query service URL must be http: ${options.baseUrl}`);
  const basePath = base.pathname.replace(/\/$/, '');
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets, scheduling: 'lifo' });
  const where = base.origin;

  /** The error to throw: the abort reason, our own error, or a transport error given a meaning. */
  function failure(err: unknown, signal: AbortSignal, stage: 'connect' | 'stream'): unknown {
    if (signal.aborted) return signal.reason;
    if (err instanceof QueryServiceError || err instanceof InvalidQueryError) return err;
    const code = String((err as { code?: unknown }).code ?? err);
    return stage === 'connect'
      ? new QueryServiceError('unreachable', `query service unreachable at ${where} (${code})`, {
          cause: err,
        })
      : new QueryServiceError('cut', `query stream from ${where} broke (${code})`, { cause: err });
  }

  const authorization = options.secret ? bearerOf(options.secret) : undefined;

  /** POSTs `body` for `request` (whose `minLsn` goes in the header). */
  function post(path: string, body: unknown, request: QueryRequest | ItemsRequest, signal: AbortSignal) {
    const minLsn = request.minLsn;
    const payload = JSON.stringify(body);
    return new Promise<{ req: http.ClientRequest; res: http.IncomingMessage }>((resolve, reject) => {
      const req = http.request({
        agent,
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port,
        path: basePath + path,
        method: 'POST',
        signal,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          ...(authorization === undefined ? {} : { authorization }),
          ...(minLsn === undefined ? {} : { [MIN_LSN_HEADER]: minLsn }),
        },
      });
      let settled = false;
      // Settled here, not from the request's 'error' event: a request still waiting for a
      // pooled socket emits its error only once it gets one, which may be never.
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => fail(signal.reason);
      const timer = setTimeout(() => {
        const message = `query service at ${where} did not answer within ${options.requestTimeoutMs} ms (socket wait included)`;
        const err = new QueryServiceError('timeout', message);
        req.destroy(err);
        fail(err);
      }, options.requestTimeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      // Kept for the request's whole life: a late error must not be an unhandled 'error' event.
      req.on('error', (err) => fail(failure(err, signal, 'connect')));
      req.once('response', (res) => {
        if (settled) return void res.resume();
        settled = true;
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const primaryLsn = res.headers[PRIMARY_LSN_HEADER];
        if (typeof primaryLsn === 'string') options.onPrimaryLsn?.(primaryLsn, request);
        resolve({ req, res });
      });
      req.end(payload);
    });
  }

  async function readSmall(res: http.IncomingMessage): Promise<string> {
    res.setEncoding('utf8');
    let text = '';
    for await (const chunk of res) {
      text += chunk as string;
      if (text.length > MAX_SMALL_BODY)
        throw new QueryServiceError('status', 'query service answer too large');
    }
    return text;
  }

  async function statusError(res: http.IncomingMessage): Promise<Error> {
    let detail = '';
    let message: string | undefined;
    try {
      const body = JSON.parse(await readSmall(res)) as { error?: unknown };
      if (typeof body.error === 'string') [detail, message] = [`: ${body.error}`, body.error];
    } catch {
      // The status alone says enough.
    }
    // 422: the service refused the request itself (InvalidQueryError), retrying cannot help.
    if (res.statusCode === 422) return new InvalidQueryError(message ?? 'query refused');
    return new QueryServiceError('status', `query service answered ${res.statusCode}${detail}`);
  }

  let closed = false;

  /**
   * POSTs a request whose answer is one small body (a count, an item set): `parse` reads the
   * 200 answer, a failure is given its meaning and the socket destroyed.
   */
  async function postSmall<T>(
    path: string,
    body: unknown,
    request: QueryRequest | ItemsRequest,
    parse: (res: http.IncomingMessage) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    signal.throwIfAborted();
    if (closed) throw new Error('query client is closed');
    const { req, res } = await post(path, body, request, signal);
    try {
      if (res.statusCode !== 200) throw await statusError(res);
      return await parse(res);
    } catch (err) {
      req.destroy();
      throw failure(err, signal, 'stream');
    }
  }

  /** A small JSON answer read with `parse`; `what` names it when the body is not one. */
  function jsonAnswer<T>(parse: (text: string) => T | undefined, what: string) {
    return async (res: http.IncomingMessage): Promise<T> => {
      const answer = parse(await readSmall(res));
      if (answer === undefined) throw new QueryServiceError('status', `query service sent no ${what}`);
      return answer;
    };
  }
  const countAnswer = jsonAnswer(parseCount, 'count');
  const hllAnswer = jsonAnswer(parseHllCount, 'hll count');

  async function* query(request: QueryRequest, signal: AbortSignal): AsyncGenerator<readonly string[]> {
    signal.throwIfAborted();
    // A destroyed agent would still open new sockets.
    if (closed) throw new Error('query client is closed');
    const { minLsn: _header, ...body } = request;
    const { req, res } = await post('/query', body, request, signal);
    let complete = false;
    try {
      if (res.statusCode !== 200) throw await statusError(res);
      res.setEncoding('utf8');
      const splitter = new LineSplitter();
      // Not destroyed when the loop stops at the end marker: the rest of the response is read
      // in the background (`finally`), which returns the socket to the pool.
      for await (const chunk of res.iterator({ destroyOnReturn: false })) {
        // The events of one chunk are one batch: the lines are reused as the batch's array.
        const lines = splitter.push(chunk as string);
        let events = 0;
        let failed: Error | undefined;
        for (const line of lines) {
          if (complete || failed) break;
          if (line === NDJSON_END_LINE) complete = true;
          else if (line.startsWith(NDJSON_ERROR_START)) failed = streamFailure(line);
          else lines[events++] = line;
        }
        lines.length = events;
        // Events before an error line are still delivered, then the failure.
        if (events > 0) {
          yield lines;
          // An abort rejects with its reason even when the rest had already arrived.
          signal.throwIfAborted();
        }
        if (failed) throw failed;
        // Done at the marker, without waiting for the response's end: the consumer's next step
        // (EOSE) then follows the last batch in the same tick, and leaves in the same write.
        if (complete) return;
      }
      throw new QueryServiceError('cut', 'query stream from the query service was cut short');
    } catch (err) {
      throw failure(err, signal, 'stream');
    } finally {
      if (complete) res.resume();
      else req.destroy();
    }
  }

  return {
    query,
    count(request, signal) {
      const { minLsn: _header, ...body } = request;
      return postSmall('/count', body, request, countAnswer, signal);
    },
    countHll(request, signal) {
      const { hllOffset, minLsn: _header, ...body } = request;
      return postSmall(`/count?hll=${hllOffset}`, body, request, hllAnswer, signal);
    },
    items(request, signal) {
      const { path, body } = itemsPost(request);
      return postSmall(path, body, request, (res) => readItems(res, request.limit), signal);
    },
    async close() {
      closed = true;
      agent.destroy();
    },
  };
}

/** `{"count": n, "hll": "<512 hex>"}`, or undefined when the body is anything else. */
function parseHllCount(text: string): { count: number; hll: string } | undefined {
  try {
    const body = JSON.parse(text) as { count?: unknown; hll?: unknown };
    if (typeof body.count !== 'number' || typeof body.hll !== 'string') return undefined;
    return /^[0-9a-f]{512}$/.test(body.hll) ? { count: body.count, hll: body.hll } : undefined;
  } catch {
    return undefined;
  }
}

function parseCount(text: string): number | undefined {
  try {
    const body = JSON.parse(text) as { count?: unknown };
    return typeof body.count === 'number' ? body.count : undefined;
  } catch {
    return undefined;
  }
}

function streamFailure(line: string): Error {
  let message = 'query failed';
  try {
    const body = JSON.parse(line) as { error?: unknown; invalid?: unknown };
    if (typeof body.error === 'string') message = body.error;
    if (body.invalid === true) return new InvalidQueryError(message);
  } catch {
    // Keep the generic message.
  }
  return new QueryServiceError('failed', `query service: ${message}`);
}
