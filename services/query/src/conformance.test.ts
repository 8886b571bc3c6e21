import type { AddressInfo } from 'node:net';
import { createHttpQueryClient, createQueryHttpServer } from '@nrelay/seams/query';
import { type QuerySetup, type QuerySubject, queryConformance } from '@nrelay/seams/query/conformance';
import { postgresBackend, type TestStore } from '@nrelay/store/testing';
import { pino } from 'pino';
import { createQueryEngine } from './engine.js';

// The QueryClient contract, unchanged, on both clients over a fresh Postgres database each:
// the engine itself (standalone), and the gateway's HTTP client talking to the query service's
// HTTP server on 127.0.0.1 (the cluster).

const logger = pino({ level: 'silent' });

async function seeded(setup: QuerySetup): Promise<TestStore> {
  const opened = await postgresBackend.open();
  await opened.store.save([...setup.events]);
  return opened;
}

function engineOf(opened: TestStore, setup: QuerySetup) {
  return createQueryEngine({
    store: opened.store,
    // As the services pass them (privilegedKindsOf(config)).
    privilegedKinds: setup.privilegedKinds,
    limits: setup.limits,
  });
}

queryConformance('engine', async (setup): Promise<QuerySubject> => {
  const opened = await seeded(setup);
  return { client: engineOf(opened, setup), dispose: () => opened.dispose() };
});

queryConformance('http', async (setup): Promise<QuerySubject> => {
  const opened = await seeded(setup);
  const engine = engineOf(opened, setup);
  const server = createQueryHttpServer({ engine, logger, maxBodyBytes: 1 << 20 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const client = createHttpQueryClient({
    baseUrl: `http://127.0.0.1:${port}`,
    logger,
    maxSockets: 8,
    requestTimeoutMs: 10_000,
  });
  return {
    client,
    async dispose() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await engine.close();
      await opened.dispose();
    },
  };
});
