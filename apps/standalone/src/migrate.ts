import { ConfigError, loadConfig } from '@nrelay/config';
import { createDatabase, migrateToLatest } from '@nrelay/store';

// `npm run migrate`: applies the schema migrations to DATABASE_URL (or the PGlite DATA_DIR) and exits.
try {
  const config = loadConfig(process.env);
  const database = await createDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: 1,
  });
  try {
    await migrateToLatest(database.db, (message) => process.stdout.write(`${message}\n`));
  } finally {
    await database.close();
  }
} catch (err) {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : String(err instanceof Error ? err.stack : err)}\n`,
  );
  process.exit(err instanceof ConfigError ? 2 : 1);
}
