/**
 * The gateway's built-in rate limits: new connections and EVENTs per IP, REQs and COUNTs per
 * connection. They are hooks like any plugin's, built in @nrelay/access
 * (libs/access/src/rate-limit-hooks.ts, buckets in rate-limit.ts) because ingest (EVENTs per
 * pubkey) and the standalone relay share them; this module is where the gateway takes them.
 */
import { createGatewayRateLimitHooks, type RateLimiterFactory } from '@nrelay/access';
import type { Config } from '@nrelay/config';
import type { GatewayHooks } from './hooks.js';

/**
 * The enabled gateway rate limits of `config` as gateway hooks. `shared` builds the per-IP
 * buckets (local by default; Redis-backed in a cluster so every gateway spends one budget).
 */
export function gatewayRateLimitHooks(config: Config, shared?: RateLimiterFactory): Partial<GatewayHooks> {
  return createGatewayRateLimitHooks(config, shared);
}
