import { checkSearch, DEFAULT_PARSE_LIMITS, type ErrorCode, type SearchLimits } from '@nrelay/protocol';
import { sqlState } from './sqlstate.js';

/**
 * A query the store refuses because of its input, not because of the database's health: a
 * search over the limits, or a statement the database rejected as too complex (SQLSTATE class
 * 54, program_limit_exceeded / statement_too_complex, e.g. "stack depth limit exceeded") or as
 * bad data (class 22). Retrying cannot help: it is answered `invalid:`, never `error:`.
 */
export class QueryInputError extends Error {
  override readonly name = 'QueryInputError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The search bounds the store applies when its caller gives none (the relay's defaults). */
const DEFAULT_SEARCH_LIMITS: Readonly<SearchLimits> = {
  maxSearchLength: DEFAULT_PARSE_LIMITS.maxSearchLength,
  maxSearchTerms: DEFAULT_PARSE_LIMITS.maxSearchTerms,
};

/**
 * Throws `QueryInputError` for a search over the limits. The store checks again what the
 * gateway checked: the query service serves whoever reaches it, and a search too deep for the
 * database wedges PGlite instead of failing (docs/operations.md).
 */
export function assertSearchWithin(search: string | undefined, limits: SearchLimits | undefined): void {
  if (search === undefined) return;
  const problem = checkSearch(search, limits ?? DEFAULT_SEARCH_LIMITS);
  if (problem) throw new QueryInputError(problem.code, problem.reason.replace(/^invalid: /, ''));
}

/** `err` as a `QueryInputError` when its SQLSTATE blames the query (class 54 or 22), else `err`. */
export function classifyQueryError(err: unknown): unknown {
  const code = sqlState(err);
  if (code === undefined || !(code.startsWith('54') || code.startsWith('22'))) return err;
  return new QueryInputError('E_QUERY_TOO_COMPLEX', `query too complex for the database (SQLSTATE ${code})`, {
    cause: err,
  });
}
