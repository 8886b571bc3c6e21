import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where the tests find a Postgres they may create and drop databases on. */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A database created for one relay under test; `drop` removes it even while clients are connected. */
export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `Postgres is unreachable at ${ADMIN_DATABASE_URL} (${why}). These tests need it and do not skip. ` +
        'Start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start`, ' +
        'or point TEST_DATABASE_URL at a server where this user may CREATE DATABASE.',
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates an empty database with a unique name on the admin server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `nrelay_it_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}
