import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDatabase, type StoreDatabase } from '../database.js';
import { createEventStore, type EventStore } from '../event-store.js';
import { migrateToLatest } from '../migrate.js';

/** The admin connection tests use to create and drop their own databases. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A store on a fresh, migrated database, and how to throw it away. */
export interface TestStore {
  store: EventStore;
  database: StoreDatabase;
  dispose(): Promise<void>;
}

/** A backend the shared suites run against. */
export interface TestBackend {
  name: 'pglite' | 'postgres';
  /** A fresh empty store; `poolSize` only matters on Postgres. */
  open(poolSize?: number): Promise<TestStore>;
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

async function adminClient(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Postgres is required for these tests and is not reachable at ${redact(ADMIN_URL)} ` +
        `(${(err as Error).message}). Start it (e.g. \`pg_ctlcluster 15 main start\`, or ` +
        '`docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`) or point ' +
        'TEST_DATABASE_URL at a server where this user may CREATE DATABASE.',
      { cause: err },
    );
  }
  return client;
}

/** Creates an empty database with a unique name; `drop` removes it (even with open sessions). */
export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `nrelay_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await adminClient();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = await adminClient();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Embedded PGlite, in memory. */
export const pgliteBackend: TestBackend = {
  name: 'pglite',
  async open() {
    const database = await createDatabase({ dataDir: 'memory://' });
    await migrateToLatest(database.db);
    const store = createEventStore(database.db);
    return { store, database, dispose: () => store.close() };
  },
};

/** The machine's Postgres, one fresh database per store. */
export const postgresBackend: TestBackend = {
  name: 'postgres',
  async open(poolSize = 8) {
    const target = await createTestDatabase();
    const database = await createDatabase({ databaseUrl: target.url, poolSize });
    await migrateToLatest(database.db);
    const store = createEventStore(database.db);
    return {
      store,
      database,
      async dispose() {
        await store.close();
        await target.drop();
      },
    };
  },
};
