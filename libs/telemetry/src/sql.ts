import type { Attributes, Counter } from '@opentelemetry/api';
import { relayMeter } from './metrics.js';

let counter: Counter | undefined;
const attrsByKey = new Map<string, Attributes>();

/**
 * The SQLSTATE of a database error (pg and PGlite put it on `err.code`), or `none` for a
 * failure without one (a refused connection, a timeout in the pool).
 */
export function sqlStateLabel(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : 'none';
}

/**
 * Counts one failed store operation in `nrelay_sql_errors_total{op, sqlstate}`: `op` says what
 * was attempted (`write`, `query`, `count`), `sqlstate` classifies the error by its code,
 * never by its message.
 */
export function countSqlError(op: string, err: unknown): void {
  counter ??= relayMeter().createCounter('nrelay_sql_errors', {
    description: 'Failed store operations, by operation and SQLSTATE (none: no database answer)',
  });
  const sqlstate = sqlStateLabel(err);
  const key = `${op}:${sqlstate}`;
  let attrs = attrsByKey.get(key);
  if (attrs === undefined) {
    attrs = { op, sqlstate };
    attrsByKey.set(key, attrs);
  }
  counter.add(1, attrs);
}
