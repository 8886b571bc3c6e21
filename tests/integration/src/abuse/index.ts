import { describe } from 'node:test';
import type { StartRelay } from '../harness/types.js';
import { dependencyFaultTests } from './dependency-faults.js';
import { floodTests } from './floods.js';
import { fuzzTests } from './fuzz.js';
import { searchAbuseTests } from './search.js';
import { stalledReaderTests } from './stalled-reader.js';
import { trustTests } from './trust.js';

/**
 * The standing abuse suite (issue 10): what one hostile client or one failing dependency may
 * cost the relay, as a client and an operator see it. Each module pushes past one bound
 * (bytes, in-flight work, time, trust) and asserts that the relay answers in the protocol's own
 * form, stays up, and that a bystander client keeps a bounded latency. `start` brings up a
 * fresh relay (standalone or cluster) with the given settings.
 *
 * Each topic lives in its own module here and registers itself below, one line each.
 */
export function abuseSuite(name: string, start: StartRelay): void {
  describe(`abuse: ${name}`, () => {
    fuzzTests(start);
    stalledReaderTests(start);
    floodTests(start);
    searchAbuseTests(start);
    trustTests(start);
    dependencyFaultTests(name.startsWith('cluster') ? 'cluster' : 'standalone');
  });
}
