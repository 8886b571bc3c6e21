import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A bare /healthz (process alive) and /readyz (dependencies reachable) server for processes
 * that serve no other HTTP, such as the ingest worker. Resolves once listening.
 */
export async function startHealthServer(opts: {
  host: string;
  port: number;
  isReady: () => boolean;
  /** Extra routes (e.g. /metrics), tried first; each returns true when it answered. */
  routes?: ReadonlyArray<(req: IncomingMessage, res: ServerResponse) => boolean>;
}): Promise<Server> {
  const server = createServer((req, res) => {
    for (const route of opts.routes ?? []) if (route(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = opts.isReady();
      res
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ready ? 'ready\n' : 'not ready\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return server;
}

/** Closes an HTTP server, ending idle keep-alive sockets so close() cannot hang. */
export async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/** Throws a clear error when a setting a cluster service cannot run without is missing. */
export function requireSetting<T>(value: T | undefined, name: string, why: string): T {
  if (value === undefined || value === '') {
    throw new Error(`${name} is required: ${why}. Set it in the environment (see README.md, Settings).`);
  }
  return value;
}
