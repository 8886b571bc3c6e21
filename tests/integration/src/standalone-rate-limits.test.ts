import { startStandalone } from './harness/standalone.js';
import { pluginTests, rateLimitTests } from './suite/rate-limits.js';

// Rate limits and plugins against the standalone relay (local buckets, PGlite).
const start = (opts?: { env?: Record<string, string> }) => startStandalone({ env: opts?.env });
rateLimitTests(start);
pluginTests(start);
