import { accessSettingsOf } from '@nrelay/access';
import { ConfigError, loadConfig } from '@nrelay/config';
import { createDatabase, DataDirLockedError, migrateToLatest } from '@nrelay/store';

// `npm run migrate`: applies the schema migrations to DATABASE_URL (or the PGlite DATA_DIR) and exits.
try {
  const config = loadConfig(process.env);
  // Settings only a service reads later (e.g. PRIVILEGED_KINDS) are checked before the schema
  // changes: in a cluster the launcher migrates first, then starts the services.
  accessSettingsOf(config);
  const database = await createDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    poolSize: 1,
  });
  try {
    const applied = await migrateToLatest(database.db, (p) => {
      const took = p.ms === undefined ? '' : ` (${p.ms} ms)`;
      process.stdout.write(`migration ${p.migration}: ${p.status}${took}\n`);
    });
    process.stdout.write(
      applied.length === 0 ? 'schema already up to date\n' : `applied ${applied.length} migration(s)\n`,
    );
  } finally {
    await database.close();
  }
} catch (err) {
  const plain = err instanceof ConfigError || err instanceof DataDirLockedError;
  process.stderr.write(`${plain ? err.message : String(err instanceof Error ? err.stack : err)}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
}
