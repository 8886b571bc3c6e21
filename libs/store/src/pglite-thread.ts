import { parentPort, workerData } from 'node:worker_threads';
import {
  openPGliteHere,
  type PGliteSession,
  type ThreadReply,
  type ThreadRequest,
} from './pglite-session.js';

// The body of the PGlite worker thread (see openPGliteThread): one session, one statement at a
// time in the order they arrive.

/** The fields of a Postgres error callers read (SQLSTATE `code` above all), as plain data. */
function errorFields(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields: Record<string, unknown> = { message: err.message, name: err.name };
  for (const [key, value] of Object.entries(err)) {
    if (typeof value === 'string' || typeof value === 'number') fields[key] = value;
  }
  return fields;
}

const port = parentPort;
if (port) {
  const { dataDir } = workerData as { dataDir: string };
  const opening: Promise<PGliteSession> = openPGliteHere(dataDir);
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (request: ThreadRequest) => {
    queue = queue.then(async () => {
      let reply: ThreadReply;
      try {
        const lite = await opening;
        if (request.op === 'close') {
          await lite.close();
          reply = { n: request.n, ok: true, inTransaction: false };
        } else {
          const { rows, affectedRows, command } = (await lite.query(request.sql, request.params)) as {
            rows: unknown[];
            affectedRows?: number;
            command?: string;
          };
          reply = {
            n: request.n,
            ok: true,
            result: { rows, affectedRows, command },
            inTransaction: lite.isInTransaction(),
          };
        }
      } catch (err) {
        reply = { n: request.n, ok: false, error: errorFields(err) };
      }
      port.postMessage(reply);
    });
  });
}
