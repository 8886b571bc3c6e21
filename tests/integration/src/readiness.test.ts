/**
 * /readyz follows the database: a query service and an ingest worker report not ready while
 * Postgres is unreachable and ready again once it is back. "Unreachable" is made with a TCP
 * relay of our own in front of the shared Postgres, which the test cuts and restores; the
 * shared server itself is never touched.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, ServiceProcess } from '@nrelay/devcluster';
import { createTestDatabase, type TestDatabase } from './harness/postgres.js';
import { deleteRedisPrefix, SHARED_REDIS_URL, uniqueRedisPrefix } from './harness/redis.js';
import { httpStatus, waitUntil } from './harness/wait.js';

const HOST = '127.0.0.1';
const entry = (path: string) => fileURLToPath(new URL(`../../../${path}`, import.meta.url));

/** A TCP relay to Postgres that can be cut (listener closed, live sockets destroyed) and restored. */
class CuttableRelay {
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}
  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, HOST, resolve));
    this.#server = server;
  }
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

let database: TestDatabase;
let relay: CuttableRelay;
const prefix = uniqueRedisPrefix();
const services: ServiceProcess[] = [];

before(async () => {
  database = await createTestDatabase();
  const real = new URL(database.url);
  relay = new CuttableRelay(await freePort(HOST), { host: real.hostname, port: Number(real.port || 5432) });
  await relay.open();
  const viaRelay = Object.assign(new URL(database.url), { port: String(relay.port) }).toString();
  const common = {
    DATABASE_URL: viaRelay,
    REDIS_URL: SHARED_REDIS_URL,
    REDIS_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    HOST,
  };
  const sink = () => {};
  await new ServiceProcess(
    'migrate',
    process.execPath,
    [entry('apps/standalone/dist/migrate.js')],
    common,
    undefined,
    sink,
  ).run();
  const queryPort = await freePort(HOST);
  const ingestPort = await freePort(HOST);
  services.push(
    new ServiceProcess(
      'query',
      process.execPath,
      [entry('services/query/dist/main.js')],
      { ...common, QUERY_PORT: String(queryPort) },
      `http://${HOST}:${queryPort}/readyz`,
      sink,
    ),
    new ServiceProcess(
      'ingest',
      process.execPath,
      [entry('services/ingest/dist/main.js')],
      { ...common, INGEST_HEALTH_PORT: String(ingestPort) },
      `http://${HOST}:${ingestPort}/readyz`,
      sink,
    ),
  );
  await Promise.all(services.map((s) => s.start()));
});

after(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await relay?.cut();
  await database?.drop();
  await deleteRedisPrefix(SHARED_REDIS_URL, prefix);
});

async function statuses(): Promise<number[]> {
  return Promise.all(services.map((s) => httpStatus(s.readyUrl ?? '')));
}

test('/readyz turns false while Postgres is unreachable and true again when it is back', async () => {
  assert.deepEqual(await statuses(), [200, 200]);
  await relay.cut();
  await waitUntil(async () => ((await statuses()).every((s) => s === 503) ? true : undefined), {
    timeoutMs: 15_000,
    intervalMs: 200,
    what: 'query and ingest report not ready',
  });
  // Liveness is separate: the processes are alive, only not ready.
  for (const s of services)
    assert.equal(await httpStatus((s.readyUrl ?? '').replace(/readyz$/, 'healthz')), 200);
  await relay.open();
  await waitUntil(async () => ((await statuses()).every((s) => s === 200) ? true : undefined), {
    timeoutMs: 15_000,
    intervalMs: 200,
    what: 'query and ingest ready again',
  });
});
