import { describe } from 'node:test';
import { startStandalone } from './harness/standalone.js';
import type { RelayUnderTest } from './harness/types.js';
import { accessModeTests, openModeTests, protectedEventTests } from './suite/access-modes.js';
import { relayForBlock } from './suite/context.js';
import { privacyTests } from './suite/privacy.js';

// Access control end to end on standalone relays (PGlite): every access mode, NIP-70, IP lists
// and the privileged-event leak test (docs/access-control.md).
const start = (opts?: { env?: Record<string, string> }): Promise<RelayUnderTest> =>
  startStandalone({ env: opts?.env });

describe('standalone relay: access control', () => {
  accessModeTests(start);
  // Every kind searchable (SEARCH_KINDS=*), so the leak test's search path reaches DMs and gift wraps.
  describe('default settings, every kind searchable', () => {
    const ctx = relayForBlock(() => start({ env: { SEARCH_KINDS: '*' } }));
    openModeTests(ctx);
    protectedEventTests(ctx);
    privacyTests(() => [ctx.relay.url]);
  });
});
