/** Harness and suite for black-box relay tests; a cluster harness reuses `relaySuite`. */
export * from './harness/index.js';
export { relaySuite } from './suite/index.js';
