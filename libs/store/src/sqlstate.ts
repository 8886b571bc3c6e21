/**
 * Database errors classified by SQLSTATE (`err.code`), never by message text. pg and PGlite
 * both put the five-character code on the thrown error.
 */

/** The SQLSTATE of a database error, or undefined for anything else. */
export function sqlState(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** unique_violation */
const UNIQUE_VIOLATION = '23505';
/** serialization_failure */
const SERIALIZATION_FAILURE = '40001';
/** deadlock_detected */
const DEADLOCK_DETECTED = '40P01';

/**
 * Worth retrying the whole transaction: a lost race on a unique key, a serialization failure
 * or a deadlock. Each means another writer got there first, not that the input is bad.
 */
export function isRetryable(err: unknown): boolean {
  const code = sqlState(err);
  return code === UNIQUE_VIOLATION || code === SERIALIZATION_FAILURE || code === DEADLOCK_DETECTED;
}

/**
 * The input itself cannot be stored: data exceptions (class 22, e.g. bad encoding, value out
 * of range), integrity violations other than a lost race (class 23), program limits (class 54,
 * e.g. an index row too large). Retrying cannot help; the event is answered as invalid.
 */
export function isInputError(err: unknown): boolean {
  const code = sqlState(err);
  if (code === undefined || code === UNIQUE_VIOLATION) return false;
  return code.startsWith('22') || code.startsWith('23') || code.startsWith('54');
}
