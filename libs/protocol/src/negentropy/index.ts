/** NIP-77 negentropy, the relay's side: the item set, one round of reconciliation, hex helpers. */
export { type Bound, ITEM_RECORD_BYTES, NegentropyItems, packItems } from './items.js';
export { MIN_NEGENTROPY_FRAME_BYTES, NEGENTROPY_VERSION, reconcile } from './reconcile.js';
export { NegentropyError } from './wire.js';
