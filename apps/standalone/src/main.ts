import { runService } from '@nrelay/runtime';
import { DataDirLockedError } from '@nrelay/store';
import { startStandalone } from './relay.js';

// `npm start`: the whole relay in one process. The only file of the standalone relay that reads the environment.
await runService(
  {
    name: 'standalone',
    entryUrl: import.meta.url,
    async start(config, logger, version) {
      const relay = await startStandalone(config, logger, version).catch(refuseLockedDataDir);
      // The end-to-end harness and operators look for this line.
      logger.info(
        { url: relay.url, database: config.DATABASE_URL ? 'postgres' : `pglite:${config.DATA_DIR}` },
        'relay listening',
      );
      return { stop: () => relay.stop() };
    },
  },
  process.env,
);

/** A DATA_DIR held by another process is an operator's mistake: one line saying so, no stack. */
function refuseLockedDataDir(err: unknown): never {
  if (!(err instanceof DataDirLockedError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
