/**
 * The item set of one negentropy session: `(created_at, id)` pairs sorted by timestamp, then id
 * bytes, held packed (40 bytes per item) so a million items cost ~48 MB, not a million objects.
 */
import { createHash } from 'node:crypto';
import { NegentropyError } from './wire.js';

/** Bytes of one packed item: created_at as a big-endian unsigned 64-bit integer, then the id. */
export const ITEM_RECORD_BYTES = 40;
const ID_BYTES = 32;
const FINGERPRINT_BYTES = 16;
/** Word sums stay exact below 2^53: fold the carries at least every 2^20 items. */
const FOLD_EVERY = 1 << 20;
const TWO_32 = 2 ** 32;
/** Items per block of the prefix sums behind `fingerprint`. */
const BLOCK = 64;

/** A range boundary: every item below it sorts before it. `timestamp` may be `Infinity`. */
export interface Bound {
  timestamp: number;
  /** A prefix of an id (0 to 32 bytes), compared as if padded with zero bytes. */
  id: Uint8Array;
}

/**
 * Packs `(created_at, id hex)` pairs into records of {@link ITEM_RECORD_BYTES}, in the given
 * order (tests and in-memory stores; the SQL store packs in the database).
 */
export function packItems(items: ReadonlyArray<readonly [number, string]>): Uint8Array {
  const out = new Uint8Array(items.length * ITEM_RECORD_BYTES);
  const view = new DataView(out.buffer);
  items.forEach(([createdAt, id], i) => {
    const at = i * ITEM_RECORD_BYTES;
    view.setUint32(at, Math.floor(createdAt / TWO_32));
    view.setUint32(at + 4, createdAt % TWO_32);
    out.set(Buffer.from(id, 'hex'), at + 8);
  });
  return out;
}

/** A sealed, sorted, duplicate-free item set with range fingerprints (negentropy's storage). */
export class NegentropyItems {
  /** Number of items. */
  readonly size: number;
  private readonly timestamps: Float64Array;
  private readonly packed: Uint8Array;
  private readonly view: DataView;
  /**
   * The sum of all ids before each block of {@link BLOCK} items, as 8 little-endian 32-bit
   * words per block: a fingerprint reads at most two partial blocks, not the whole range, so a
   * round costs O(message), not O(set) (the closing fingerprint spans the rest of the set).
   */
  private readonly blockSums: Uint32Array;

  /**
   * Takes packed records (see {@link ITEM_RECORD_BYTES}). Records already in order (the store
   * sends them so) are used as they are; others are sorted and deduplicated once here.
   */
  constructor(packed: Uint8Array) {
    if (packed.length % ITEM_RECORD_BYTES !== 0)
      throw new NegentropyError('item records are not 40 bytes each');
    const ordered = isStrictlyOrdered(packed) ? packed : sortRecords(packed);
    this.packed = ordered;
    this.view = new DataView(ordered.buffer, ordered.byteOffset, ordered.byteLength);
    this.size = ordered.length / ITEM_RECORD_BYTES;
    this.timestamps = new Float64Array(this.size);
    for (let i = 0; i < this.size; i++) this.timestamps[i] = timestampAt(this.view, i * ITEM_RECORD_BYTES);
    this.blockSums = new Uint32Array((Math.floor(this.size / BLOCK) + 1) * 8);
    const words = new Float64Array(8);
    for (let b = 1; b * BLOCK <= this.size; b++) {
      this.addIds(words, (b - 1) * BLOCK, b * BLOCK);
      foldCarries(words);
      this.blockSums.set(words, b * 8);
    }
  }

  /** The timestamp of item `i`. */
  timestamp(i: number): number {
    return this.timestamps[i]!;
  }

  /** The 32 id bytes of item `i` (a view). */
  id(i: number): Uint8Array {
    const at = i * ITEM_RECORD_BYTES + 8;
    return this.packed.subarray(at, at + ID_BYTES);
  }

  /** The first index in [begin, end) whose item is not below `bound` (end if none). */
  lowerBound(begin: number, end: number, bound: Bound): number {
    let lo = begin;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.below(mid, bound)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Adds the ids of items [begin, end) into `words` (8 little-endian 32-bit word sums). */
  private addIds(words: Float64Array, begin: number, end: number): void {
    for (let i = begin; i < end; i++) {
      const at = i * ITEM_RECORD_BYTES + 8;
      for (let w = 0; w < 8; w++) words[w]! += this.view.getUint32(at + w * 4, true);
      if ((i - begin) % FOLD_EVERY === FOLD_EVERY - 1) foldCarries(words);
    }
  }

  private below(i: number, bound: Bound): boolean {
    const ts = this.timestamps[i]!;
    if (ts !== bound.timestamp) return ts < bound.timestamp;
    const at = i * ITEM_RECORD_BYTES + 8;
    for (let k = 0; k < ID_BYTES; k++) {
      const a = this.packed[at + k]!;
      const b = k < bound.id.length ? bound.id[k]! : 0;
      if (a !== b) return a < b;
    }
    return false;
  }

  /**
   * The V1 fingerprint of items [begin, end): SHA-256 of (the ids summed as little-endian
   * 256-bit integers mod 2^256, then the count as a varint), first 16 bytes.
   */
  fingerprint(begin: number, end: number): Uint8Array {
    const words = new Float64Array(8);
    const first = Math.ceil(begin / BLOCK);
    const last = Math.floor(end / BLOCK);
    if (last - first < 1) {
      this.addIds(words, begin, end);
    } else {
      // Whole blocks from the prefix sums (their difference; negative words fold into borrows).
      this.addIds(words, begin, first * BLOCK);
      this.addIds(words, last * BLOCK, end);
      for (let w = 0; w < 8; w++) words[w]! += this.blockSums[last * 8 + w]! - this.blockSums[first * 8 + w]!;
    }
    foldCarries(words);
    const sum = new Uint8Array(ID_BYTES);
    const sumView = new DataView(sum.buffer);
    for (let w = 0; w < 8; w++) sumView.setUint32(w * 4, words[w]!, true);
    const hash = createHash('sha256')
      .update(sum)
      .update(varintBytes(end - begin))
      .digest();
    return new Uint8Array(hash.buffer, hash.byteOffset, FINGERPRINT_BYTES);
  }
}

/** Propagates each word's overflow (or borrow) into the next; what leaves the top word is dropped (mod 2^256). */
function foldCarries(words: Float64Array): void {
  let carry = 0;
  for (let w = 0; w < 8; w++) {
    const total = words[w]! + carry;
    carry = Math.floor(total / TWO_32);
    words[w] = total - carry * TWO_32;
  }
}

function varintBytes(n: number): Uint8Array {
  const digits: number[] = [];
  do {
    digits.push(n % 128);
    n = Math.floor(n / 128);
  } while (n > 0);
  return Uint8Array.from(digits.reverse().map((d, i, all) => d | (i < all.length - 1 ? 0x80 : 0)));
}

function timestampAt(view: DataView, at: number): number {
  return view.getUint32(at) * TWO_32 + view.getUint32(at + 4);
}

/** -1, 0 or 1: record a against record b, by timestamp then id bytes (the whole 40 bytes, big-endian). */
function compareRecords(packed: Uint8Array, a: number, b: number): number {
  for (let k = 0; k < ITEM_RECORD_BYTES; k++) {
    const x = packed[a + k]!;
    const y = packed[b + k]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function isStrictlyOrdered(packed: Uint8Array): boolean {
  for (let at = ITEM_RECORD_BYTES; at < packed.length; at += ITEM_RECORD_BYTES) {
    if (compareRecords(packed, at - ITEM_RECORD_BYTES, at) >= 0) return false;
  }
  return true;
}

/** Sorted copy without duplicates: the big-endian timestamp makes byte order the item order. */
function sortRecords(packed: Uint8Array): Uint8Array {
  const n = packed.length / ITEM_RECORD_BYTES;
  const order = Array.from({ length: n }, (_, i) => i * ITEM_RECORD_BYTES);
  order.sort((a, b) => compareRecords(packed, a, b));
  const out = new Uint8Array(packed.length);
  let len = 0;
  for (const at of order) {
    const record = packed.subarray(at, at + ITEM_RECORD_BYTES);
    if (len > 0 && sameAsLast(out, len, record)) continue;
    out.set(record, len);
    len += ITEM_RECORD_BYTES;
  }
  return out.subarray(0, len);
}

function sameAsLast(out: Uint8Array, len: number, record: Uint8Array): boolean {
  const last = len - ITEM_RECORD_BYTES;
  for (let k = 0; k < ITEM_RECORD_BYTES; k++) if (out[last + k] !== record[k]) return false;
  return true;
}
