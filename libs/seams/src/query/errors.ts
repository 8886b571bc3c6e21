/**
 * Why a QueryClient refused a request because of the request itself (a search over the
 * limits, a statement the database finds too complex): the gateway answers CLOSED
 * `invalid: <message>`, which tells the client not to retry. Every other rejection of `query`
 * or `count` is a failure of the relay (`error:`). Both implementations (in-process engine,
 * HTTP client) reject with this class, so the gateway needs one check.
 */
export class InvalidQueryError extends Error {
  override readonly name = 'InvalidQueryError';
}
