/**
 * NIP-77 item sets over HTTP: `POST /items?limit=N` with a QueryRequest body of exactly one
 * filter, answered `application/octet-stream`: the packed records, then the record count as a
 * big-endian u64, so a cut answer is told from a complete one. The headers leave at once, before
 * the set is read: a large set may take longer than the client's wait for headers.
 */
import type http from 'node:http';
import { ITEM_RECORD_BYTES } from '@nrelay/protocol';
import type { ItemsRequest, QueryClient, QueryRequest } from './seam.js';

/** Largest `limit` the service accepts: 16M items (640 MiB) is past any sane session cap. */
const MAX_ITEMS_LIMIT = 1 << 24;
/** The answer's last bytes: how many records came before them. */
const COUNT_BYTES = 8;

/** A refused /items request: `status` is the HTTP status to answer. */
export class ItemsRequestError extends Error {
  override readonly name = 'ItemsRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The path and body the client posts for an `ItemsRequest`. */
export function itemsPost(request: ItemsRequest): { path: string; body: QueryRequest } {
  const body: QueryRequest = { v: 1, filters: [request.filter], viewer: request.viewer };
  if (request.trace) body.trace = request.trace;
  return { path: `/items?limit=${request.limit}`, body };
}

/**
 * Serves one /items request whose body already parsed as a QueryRequest: checks `limit` and
 * the single filter (else `ItemsRequestError` 400), then asks the engine and writes the records.
 */
export async function serveItems(
  engine: QueryClient,
  query: QueryRequest,
  url: string,
  res: http.ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const limit = Number(new URL(url, 'http://query').searchParams.get('limit'));
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_ITEMS_LIMIT) {
    throw new ItemsRequestError(400, `"limit" must be an integer from 1 to ${MAX_ITEMS_LIMIT}`);
  }
  if (query.filters.length !== 1) throw new ItemsRequestError(400, '/items takes exactly one filter');
  const request: ItemsRequest = { v: 1, filter: query.filters[0]!, viewer: query.viewer, limit };
  if (query.trace) request.trace = query.trace;
  if (query.minLsn !== undefined) request.minLsn = query.minLsn;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store' });
  res.flushHeaders();
  const packed = await engine.items(request, signal);
  if (signal.aborted) return;
  const count = Buffer.alloc(COUNT_BYTES);
  count.writeBigUInt64BE(BigInt(packed.byteLength / ITEM_RECORD_BYTES));
  res.write(packed);
  res.end(count);
}

/**
 * Reads an /items answer whole: at most `limit` records and the count that ends them, else an
 * error (a cut stream, or a service that broke the contract).
 */
export async function readItems(res: http.IncomingMessage, limit: number): Promise<Uint8Array> {
  const max = limit * ITEM_RECORD_BYTES + COUNT_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    size += (chunk as Buffer).length;
    if (size > max) throw new Error(`query service sent more than ${limit} items`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks, size);
  const records = size - COUNT_BYTES;
  if (records < 0 || records % ITEM_RECORD_BYTES !== 0) {
    throw new Error('item set from the query service was cut short');
  }
  if (body.readBigUInt64BE(records) !== BigInt(records / ITEM_RECORD_BYTES)) {
    throw new Error('item set from the query service was cut short');
  }
  return new Uint8Array(body.buffer, body.byteOffset, records);
}
