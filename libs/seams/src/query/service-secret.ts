/**
 * The shared secret of service-to-service calls (QUERY_SECRET). The query service answers any
 * filter for any `viewer` it is sent, privileged events included, so it must know that the
 * caller is a gateway: the gateway sends `Authorization: Bearer <secret>` and the query service
 * compares it in constant time (issue 10, defect 7).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The `Authorization` header value a gateway sends. */
export function bearerOf(secret: string): string {
  return `Bearer ${secret}`;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Builds the check of an `Authorization` header against `secret`. Both sides are hashed first,
 * so the comparison takes the same time whatever the length or content of what was sent.
 */
export function createSecretCheck(secret: string): (authorization: string | undefined) => boolean {
  const expected = digest(bearerOf(secret));
  return (authorization) => timingSafeEqual(digest(authorization ?? ''), expected);
}

/** Whether a HOST value or URL host can be reached from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
