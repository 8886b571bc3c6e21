import { describe } from 'node:test';
import type { StartRelay } from '../harness/types.js';
import { authTests } from './auth.js';
import { badInputTests } from './bad-input.js';
import { relayForBlock } from './context.js';
import { countSearchTests } from './count-search.js';
import { deletionTests } from './deletion.js';
import { durabilityTests } from './durability.js';
import { filterTests } from './filters.js';
import { hotWindowTests } from './hot-window.js';
import { liveOnlyTests } from './live-only.js';
import { negentropyTests } from './negentropy.js';
import { nip11Tests } from './nip11.js';
import { powTests } from './pow.js';
import { publishTests } from './publish.js';
import { replaceableTests } from './replaceable.js';
import { requestLimitTests } from './request-limits.js';
import { subscriptionTests } from './subscriptions.js';
import { tunedLimitTests } from './tuned-limits.js';
import { vanishTests } from './vanish.js';

/**
 * The black-box relay suite: NIP-01 plus NIPs 9, 11, 13, 40, 42, 45, 50 and 62 as a client sees
 * them. `start` brings up a relay with empty storage (standalone or cluster); tests that need
 * no special settings share one relay and use their own keys.
 */
export function relaySuite(name: string, start: StartRelay): void {
  describe(name, () => {
    describe('shared relay (default settings)', () => {
      const ctx = relayForBlock(start);
      publishTests(ctx);
      subscriptionTests(ctx);
      liveOnlyTests(ctx);
      filterTests(ctx);
      replaceableTests(ctx);
      deletionTests(ctx);
      vanishTests(ctx);
      countSearchTests(ctx);
      nip11Tests(ctx);
      authTests(ctx);
      badInputTests(ctx);
      requestLimitTests(ctx);
    });
    tunedLimitTests(start);
    powTests(start);
    durabilityTests(start);
    hotWindowTests(start);
    negentropyTests(start);
  });
}
