import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from '@nrelay/config';
import { pino } from 'pino';
import { startStandalone } from './relay.js';

// The only file of the standalone relay that reads the environment.
const version = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
}

const logger = pino({ level: config.LOG_LEVEL, base: { service: 'standalone' } });
const relay = await startStandalone(config, logger, version).catch((err: unknown) => {
  logger.fatal({ err }, 'relay failed to start');
  process.exit(1);
});
logger.info(
  { url: relay.url, database: config.DATABASE_URL ? 'postgres' : `pglite:${config.DATA_DIR}` },
  'relay listening',
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    relay.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  });
}
