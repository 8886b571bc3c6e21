import { readFileSync } from 'node:fs';
import { type Config, ConfigError, loadConfig } from '@nrelay/config';
import { flushTelemetry, traceLogMixin } from '@nrelay/telemetry';
import { type Logger, pino } from 'pino';
import { startedByNpm, watchParent } from './parent.js';

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
 * once on SIGTERM/SIGINT (exit 0, or 1 if the stop failed or outlived the grace period). Started
 * by an npm script, it also stops when its parent goes away (npm does not forward SIGTERM).
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
    const line = startupProblem(err);
    if (line === undefined) logger.fatal({ err }, `${definition.name} failed to start`);
    else {
      logger.fatal({ problem: line }, `${definition.name} failed to start`);
      process.stderr.write(`${line}\n`);
    }
    process.exit(err instanceof ConfigError ? 2 : 1);
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
  if (startedByNpm(env)) watchParent(() => stop('parent exited'));
}

/**
 * A start failure the operator can fix, as one line saying what to do: invalid settings found
 * late (e.g. PRIVILEGED_KINDS), a port already taken, a `StartupError`. Anything else is a bug
 * and keeps its stack trace in the log.
 */
function startupProblem(err: unknown): string | undefined {
  if (err instanceof ConfigError || err instanceof StartupError) return err.message;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE')
    return `port ${e.port ?? '?'} on ${e.address ?? 'this host'} is already in use (another relay?): stop that process or set PORT to a free port`;
  if (e?.code === 'EACCES' && e.port !== undefined)
    return `not allowed to listen on port ${e.port}: use a port above 1023 or run with the needed privilege`;
  return undefined;
}

/** A start failure whose message alone tells the operator what to do (no stack trace shown). */
export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}
