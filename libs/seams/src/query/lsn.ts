/**
 * Postgres WAL positions (`pg_lsn`, text `X/Y`: two hexadecimal 32-bit halves) as the
 * read-your-writes rule of the replicas compares them (ADR 0024): the commit position ingest
 * learns, the highest one a gateway saw on the fanout bus, a replica's replay position.
 */

/** The HTTP request header a gateway sends its read-your-writes bound in (POST /query, /count, /items). */
export const MIN_LSN_HEADER = 'x-nrelay-min-lsn';
/**
 * The response header a query service answers a request without a bound with: the primary's
 * WAL position read after the request arrived, a bound the gateway may start from.
 */
export const PRIMARY_LSN_HEADER = 'x-nrelay-primary-lsn';

const LSN_TEXT = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

/** The position of an `X/Y` text as one number, or undefined when the text is not an LSN. */
export function parseLsn(text: string): bigint | undefined {
  if (!LSN_TEXT.test(text)) return undefined;
  const slash = text.indexOf('/');
  return (BigInt(`0x${text.slice(0, slash)}`) << 32n) | BigInt(`0x${text.slice(slash + 1)}`);
}

/** The `X/Y` text of a position, as Postgres prints it (upper-case hexadecimal). */
export function formatLsn(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}
