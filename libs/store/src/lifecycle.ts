import { createDatabase, type StoreDatabase } from './database.js';
import { createReadinessProbe, type ReadinessProbe } from './readiness.js';
import { sqlState } from './sqlstate.js';

/** The few logger methods the store's lifecycle helpers use (a pino logger fits). */
export interface StoreLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Opens a cluster service's Postgres pool with a readiness probe that logs each flip, and runs
 * one probe before returning (so /readyz is right from the first request).
 */
export async function openServiceDatabase(opts: {
  databaseUrl: string;
  poolSize: number;
  logger: StoreLogger;
  statementTimeoutMs?: number;
}): Promise<{ database: StoreDatabase; probe: ReadinessProbe }> {
  const { logger } = opts;
  const database = await createDatabase({
    databaseUrl: opts.databaseUrl,
    poolSize: opts.poolSize,
    statementTimeoutMs: opts.statementTimeoutMs ?? 0,
    onPoolError: (err) => logger.warn({ err, sqlState: sqlState(err) }, 'Postgres connection failed'),
  });
  const probe = createReadinessProbe(database.db, {
    onChange: (ready, reason) =>
      ready
        ? logger.info({ ready }, 'database is ready')
        : logger.warn({ ready, reason }, 'database is not ready'),
  });
  await probe.check();
  return { database, probe };
}

/** Purges NIP-40 expired events every `intervalMs`; returns the function that stops it. */
export function scheduleExpirationPurge(
  store: { purgeExpired(): Promise<number> },
  intervalMs: number,
  logger: StoreLogger,
): () => void {
  const timer = setInterval(() => {
    store.purgeExpired().then(
      (n) => n > 0 && logger.info({ purged: n }, 'purged expired events'),
      (err: unknown) => logger.error({ err }, 'expired-event purge failed'),
    );
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
