import { type Kysely, type Migration, type MigrationProvider, Migrator } from 'kysely';
import * as m0001 from './migrations/0001-events.js';
import * as m0002 from './migrations/0002-management.js';
import * as m0003 from './migrations/0003-author-index-kind.js';
import * as m0004 from './migrations/0004-vanish.js';
import * as m0005 from './migrations/0005-relay-identity.js';

/** Every migration in order. Names sort lexically; never rename or edit a shipped one. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-events': m0001,
  '0002-management': m0002,
  '0003-author-index-kind': m0003,
  '0004-vanish': m0004,
  '0005-relay-identity': m0005,
};

/** One progress line of `migrateToLatest`. */
export interface MigrationProgress {
  migration: string;
  status: 'running' | 'done' | 'failed';
  /** Milliseconds spent, once done or failed. */
  ms?: number;
}

/** Raised when the schema cannot be brought to the latest version. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';
  /** The migration that failed, when one did (otherwise the lock or the bookkeeping failed). */
  readonly migration: string | undefined;

  constructor(message: string, migration: string | undefined, cause: unknown) {
    super(message, { cause });
    this.migration = migration;
  }
}

/** The store's migrations as a static Kysely provider (no file-system scanning at run time). */
export const storeMigrations: MigrationProvider = {
  getMigrations: async () => MIGRATIONS,
};

function reporting(log: (p: MigrationProgress) => void): MigrationProvider {
  const wrapped: Record<string, Migration> = {};
  for (const [name, migration] of Object.entries(MIGRATIONS)) {
    wrapped[name] = {
      up: async (db) => {
        const start = Date.now();
        log({ migration: name, status: 'running' });
        try {
          await migration.up(db);
        } catch (err) {
          log({ migration: name, status: 'failed', ms: Date.now() - start });
          throw err;
        }
        log({ migration: name, status: 'done', ms: Date.now() - start });
      },
    };
  }
  return { getMigrations: async () => wrapped };
}

/**
 * Applies every pending migration, each in its own transaction; concurrent callers wait on
 * Kysely's migration lock. Reports each migration as it runs. Throws `MigrationError`
 * naming the failed migration and what to do next; earlier migrations stay applied.
 * Returns the names of the migrations applied by this call.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  log: (progress: MigrationProgress) => void = () => {},
): Promise<string[]> {
  const migrator = new Migrator({ db, provider: reporting(log) });
  const { error, results = [] } = await migrator.migrateToLatest();
  if (error === undefined) return results.map((r) => r.migrationName);
  const failed = results.find((r) => r.status === 'Error')?.migrationName;
  const reason = error instanceof Error ? error.message : String(error);
  const what = failed ? `migration ${failed} failed` : 'migrating the store schema failed';
  throw new MigrationError(
    `${what}: ${reason}. Fix the cause (database reachable? user allowed to create tables? ` +
      'schema edited by hand?) and run the migration again; applied migrations are kept and ' +
      'the failed one was rolled back.',
    failed,
    error,
  );
}
