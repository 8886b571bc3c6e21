import type http from 'node:http';
import { type Filter, isProtocolError, validateFilter } from '@nrelay/protocol';
import type { QueryRequest } from './seam.js';

/** What a query request is on the wire: its body, read within a bound, and checked. */

/** A request the query service refuses; `status` is the HTTP status it answers. */
export class QueryRequestError extends Error {
  override readonly name = 'QueryRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The request body as text; a body past `maxBytes` is refused with 413 before it is all read. */
export async function readBody(req: http.IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw new QueryRequestError(413, `request body larger than ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new QueryRequestError(413, `request body larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Checks a QueryRequest body: `v: 1`, `filters` an array of valid NIP-01 filters,
 * `viewer.authedPubkeys` an array of strings, optional `viewer.unrestricted` true, optional
 * `trace` an object of strings.
 */
export function parseQueryRequest(text: string): QueryRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new QueryRequestError(400, 'body is not valid JSON');
  }
  if (typeof body !== 'object' || body === null)
    throw new QueryRequestError(400, 'body must be a JSON object');
  const { v, filters, viewer, trace } = body as Record<string, unknown>;
  if (v !== 1)
    throw new QueryRequestError(400, `unsupported query request version ${JSON.stringify(v)}; expected 1`);
  if (!Array.isArray(filters)) throw new QueryRequestError(400, '"filters" must be an array');
  const checked: Filter[] = [];
  for (const filter of filters) {
    const result = validateFilter(filter);
    if (isProtocolError(result)) throw new QueryRequestError(400, `bad filter: ${result.reason}`);
    checked.push(result);
  }
  const { authedPubkeys: pubkeys, unrestricted } = (viewer ?? {}) as {
    authedPubkeys?: unknown;
    unrestricted?: unknown;
  };
  if (!Array.isArray(pubkeys) || !pubkeys.every((p) => typeof p === 'string')) {
    throw new QueryRequestError(400, '"viewer.authedPubkeys" must be an array of strings');
  }
  if (unrestricted !== undefined && unrestricted !== true) {
    throw new QueryRequestError(400, '"viewer.unrestricted" must be true or absent');
  }
  const request: QueryRequest = {
    v: 1,
    filters: checked,
    viewer: unrestricted ? { authedPubkeys: pubkeys, unrestricted } : { authedPubkeys: pubkeys },
  };
  if (trace !== undefined) {
    if (
      typeof trace !== 'object' ||
      trace === null ||
      !Object.values(trace).every((t) => typeof t === 'string')
    ) {
      throw new QueryRequestError(400, '"trace" must be an object of strings');
    }
    request.trace = trace as Record<string, string>;
  }
  return request;
}
