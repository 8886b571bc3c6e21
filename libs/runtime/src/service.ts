import { readFileSync } from 'node:fs';
import { type Config, ConfigError, loadConfig } from '@nrelay/config';
import { flushTelemetry, traceLogMixin } from '@nrelay/telemetry';
import { type Logger, pino } from 'pino';

/** A started service: what `stop` must do on SIGTERM. */
export interface RunningService {
  /** Stops within the configured grace period: readiness false, drain, close pools. */
  stop(): Promise<void>;
  /** Fields for the "started" log line (URLs, ports). */
  describe?: Record<string, unknown>;
}

/** How to run one process of the relay. */
export interface ServiceDefinition {
  /** `service` field of every log line: standalone, gateway, ingest, query. */
  name: string;
  /** `import.meta.url` of the entry, to read the package version next to it. */
  entryUrl: string;
  start(config: Config, logger: Logger, version: string): Promise<RunningService>;
}

function versionOf(entryUrl: string): string {
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', entryUrl), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

/**
 * The body of every `main.ts`: reads and validates the environment (exit 2 with every problem
 * listed), builds the pino logger, starts the service, logs "<name> started", and stops it
 * once on SIGTERM/SIGINT (exit 0, or 1 if the stop failed or outlived the grace period).
 */
export async function runService(
  definition: ServiceDefinition,
  env: Record<string, string | undefined>,
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // trace_id / span_id on every line while a span is active; no mixin at all when tracing is off.
  const mixin = traceLogMixin();
  const logger = pino({
    level: config.LOG_LEVEL,
    base: { service: definition.name },
    ...(mixin && { mixin }),
  });
  const version = versionOf(definition.entryUrl);
  let running: RunningService;
  try {
    running = await definition.start(config, logger, version);
  } catch (err) {
    logger.fatal({ err }, `${definition.name} failed to start`);
    process.exit(1);
  }
  logger.info({ version, ...running.describe }, `${definition.name} started`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A stop that outlives the grace period (plus a margin for closing pools) is cut short.
    const deadline = setTimeout(() => {
      logger.error({ graceMs: config.SHUTDOWN_GRACE_MS }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.SHUTDOWN_GRACE_MS + 5_000);
    deadline.unref();
    running.stop().then(
      // Buffered spans are exported before the process exits (a no-op when tracing is off).
      () => {
        logger.info('stopped');
        void flushTelemetry().then(() => process.exit(0));
      },
      (err: unknown) => {
        logger.error({ err }, 'unclean shutdown');
        void flushTelemetry().then(() => process.exit(1));
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
