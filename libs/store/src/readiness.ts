import { type Kysely, sql } from 'kysely';
import { storeMigrations } from './migrate.js';

/** A periodic check that the database answers and holds the latest schema. */
export interface ReadinessProbe {
  /** True after the last check found the database reachable and fully migrated. */
  isReady(): boolean;
  /** Runs one check now and returns its verdict (also updates `isReady`). */
  check(): Promise<boolean>;
  stop(): void;
}

/**
 * Probes the database every `intervalMs`: a round trip plus "is the newest migration this code
 * knows applied?". Feeds /readyz, so a pod stops taking traffic while Postgres is unreachable
 * or before the migration job ran. `onChange` hears every flip (for logs).
 */
export function createReadinessProbe<DB>(
  db: Kysely<DB>,
  opts: {
    intervalMs?: number;
    timeoutMs?: number;
    onChange?: (ready: boolean, reason?: string) => void;
  } = {},
): ReadinessProbe {
  let ready = false;
  let latest: string | undefined;
  const set = (value: boolean, reason?: string) => {
    if (value !== ready) opts.onChange?.(value, reason);
    ready = value;
    return value;
  };
  const check = async (): Promise<boolean> => {
    try {
      latest ??= Object.keys(await storeMigrations.getMigrations())
        .sort()
        .at(-1);
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('database check timed out')), opts.timeoutMs ?? 2000).unref(),
      );
      const rows = await Promise.race([
        sql<{ name: string }>`select max(name) as name from kysely_migration`.execute(db),
        timeout,
      ]);
      const applied = rows.rows[0]?.name;
      if (applied !== latest)
        return set(false, `schema at ${applied ?? 'nothing'}, expected ${latest}: run the migrations`);
      return set(true);
    } catch (err) {
      return set(false, err instanceof Error ? err.message : String(err));
    }
  };
  const timer = setInterval(() => void check(), opts.intervalMs ?? 2000);
  timer.unref();
  return { isReady: () => ready, check, stop: () => clearInterval(timer) };
}
