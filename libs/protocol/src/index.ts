/** @nrelay/protocol: NIP-01 wire types, parsing, validation, ids, signatures, filters and frames. */
export * from './errors.js';
export * from './event.js';
export * from './filter.js';
export * from './frames.js';
export { HLL_RANK_HEX, HLL_REGISTERS, hllAdd, hllHex, hllOffsetFor, hllRank } from './hll.js';
export * from './kinds.js';
export * from './limits.js';
export { negErrFrame, negMsgFrame } from './neg-messages.js';
export * from './negentropy/index.js';
export * from './parse.js';
export * from './search.js';
export type * from './types.js';
export { looseUrlKey, sameLooseUrl } from './url.js';
export * from './validate.js';
export { ALL_RELAYS, VANISH_KIND, vanishTarget } from './vanish.js';
