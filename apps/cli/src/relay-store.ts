import { type Config, searchKindsOf } from '@nrelay/config';
import {
  createDatabase,
  createEventStore,
  DataDirLockedError,
  type EventStore,
  migrateToLatest,
  type StoreDatabase,
} from '@nrelay/store';

/** The relay's configured store, opened by the CLI as the relay opens it. */
export interface RelayStore {
  database: StoreDatabase;
  store: EventStore;
  /** What is behind it, for messages: `postgres` or `pglite:<dir>`. */
  where: string;
  close(): Promise<void>;
}

/** A mistake of the operator's, told in one line without a stack (exit status 1). */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/**
 * Opens the store the relay is configured with (DATABASE_URL, else the PGlite DATA_DIR) and
 * applies pending migrations, as the relay does at start. A DATA_DIR held by a running relay is
 * a `CliError` naming the two ways out. `transactionSize`: most events per store transaction.
 */
export async function openRelayStore(
  config: Config,
  poolSize: number,
  transactionSize?: number,
): Promise<RelayStore> {
  const where = config.DATABASE_URL ? 'postgres' : `pglite:${config.DATA_DIR}`;
  // The relay's write settings: an imported note is searchable exactly when a published one is.
  const searchKinds = searchKindsOf(config);
  let database: StoreDatabase;
  try {
    database = await createDatabase({
      databaseUrl: config.DATABASE_URL,
      dataDir: config.DATA_DIR,
      poolSize,
      pgliteThread: config.PGLITE_THREAD,
    });
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    throw new CliError(
      `${err.message}\nThe embedded database (PGlite) serves one process: stop the relay while the CLI works on ${config.DATA_DIR}, ` +
        'or run the relay on Postgres (DATABASE_URL), which the CLI can use while the relay runs.',
    );
  }
  try {
    await migrateToLatest(database.db);
  } catch (err) {
    await database.close();
    throw err;
  }
  // The store's close() destroys the Kysely instance; the database's close() then ends PGlite
  // and releases the DATA_DIR lock.
  const store = createEventStore(database.db, {
    save: transactionSize === undefined ? { searchKinds } : { searchKinds, transactionSize },
  });
  return { database, store, where, close: () => database.close() };
}
