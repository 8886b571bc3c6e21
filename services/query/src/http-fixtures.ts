import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { createHttpQueryClient, createQueryHttpServer } from '@nrelay/seams/query';
import { pino } from 'pino';

// The rig of http.test.ts and http-endpoints.test.ts: the query service's HTTP server and the
// gateway's HTTP QueryClient over 127.0.0.1, with a scripted engine standing in for SQL.

/** A plain query request. */
export const request: QueryRequest = {
  v: 1,
  filters: [{ kinds: [1], limit: 10 }],
  viewer: { authedPubkeys: [] },
};
/** A logger that prints nothing. */
export const logger = pino({ level: 'silent' });

/** The scripted engine's query: what it yields for a request, and when. */
export type Script = (request: QueryRequest, signal: AbortSignal) => AsyncGenerator<readonly string[]>;

/**
 * Starts the HTTP server over a scripted engine (`count` 42 unless given) on a free port and an
 * HTTP client of it; `close` stops both.
 */
export async function start(
  script: Script,
  extra: { count?: QueryClient['count']; items?: QueryClient['items']; ready?: () => boolean } = {},
) {
  const engine: QueryClient = {
    query: script,
    count: extra.count ?? (async () => 42),
    items: extra.items ?? (async () => new Uint8Array(0)),
    async close() {},
  };
  const server = createQueryHttpServer({ engine, logger, maxBodyBytes: 4_096, ready: extra.ready });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const client = createHttpQueryClient({ baseUrl, logger, maxSockets: 8, requestTimeoutMs: 1_000 });
  return {
    client,
    port,
    async close() {
      await client.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** A promise and the function that resolves it. */
export function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Resolves once `signal` is aborted. */
export const aborted = (signal: AbortSignal) =>
  new Promise<void>((r) =>
    signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true }),
  );

/** One plain HTTP request to the server: its status and body text. */
export async function raw(port: number, method: string, path: string, body?: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
