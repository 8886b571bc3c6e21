/**
 * The relay's (non-initiator's) side of negentropy V1: one client message in, one answer out
 * (NIP-77 appendix; the algorithm of hoytech/negentropy, written here from its description).
 */
import type { Bound, NegentropyItems } from './items.js';
import { NegentropyError, Reader, Writer } from './wire.js';

/** Protocol version V1, the only one spoken here. */
export const NEGENTROPY_VERSION = 0x61;
/** Smallest frame limit the algorithm can work with (the reference refuses less too). */
export const MIN_NEGENTROPY_FRAME_BYTES = 4096;

/** Range modes of the V1 format. */
const Mode = { Skip: 0, Fingerprint: 1, IdList: 2 } as const;
const BUCKETS = 16;
const FINGERPRINT_BYTES = 16;
const ID_BYTES = 32;
/** Room kept below the frame limit for the closing fingerprint range. */
const FRAME_SLACK = 200;
const INFINITE: Bound = { timestamp: Number.POSITIVE_INFINITY, id: new Uint8Array(0) };

/**
 * Answers one message of a client's negentropy session over `items`. The answer is never empty:
 * at least the version byte, which a client reads as "nothing left to reconcile". A message of
 * another version in 0x60-0x6f gets the version byte alone (the client may retry in V1); bytes
 * outside that range, or a malformed message, throw `NegentropyError`. The answer stays under
 * `frameBytes` bytes (binary, before hex): what does not fit is left as one fingerprint range
 * for the next round.
 */
export function reconcile(items: NegentropyItems, message: Uint8Array, frameBytes: number): Uint8Array {
  return new Round(items, Math.max(frameBytes, MIN_NEGENTROPY_FRAME_BYTES)).answer(new Reader(message));
}

/** One message's worth of state: the delta-encoded timestamps restart with every message. */
class Round {
  private lastIn = 0;
  private lastOut = 0;

  constructor(
    private readonly items: NegentropyItems,
    private readonly frameBytes: number,
  ) {}

  answer(query: Reader): Uint8Array {
    const out = new Writer();
    out.byte(NEGENTROPY_VERSION);
    const version = query.byte();
    if (version < 0x60 || version > 0x6f) throw new NegentropyError('invalid protocol version byte');
    if (version !== NEGENTROPY_VERSION) return out.view();
    const size = this.items.size;
    let prevBound: Bound = { timestamp: 0, id: new Uint8Array(0) };
    let prevIndex = 0;
    // Where the ranges already in `out` end: the closing fingerprint must start exactly there.
    let emittedIndex = 0;
    let skip = false;
    const o = new Writer();
    while (!query.done) {
      o.clear();
      const flushSkip = () => {
        if (!skip) return;
        skip = false;
        this.writeBound(o, prevBound);
        o.varint(Mode.Skip);
      };
      const currBound = this.readBound(query);
      const mode = query.varint();
      const lower = prevIndex;
      const upper = this.items.lowerBound(prevIndex, size, currBound);
      if (mode === Mode.Skip) {
        skip = true;
      } else if (mode === Mode.Fingerprint) {
        const theirs = query.take(FINGERPRINT_BYTES);
        if (equalBytes(theirs, this.items.fingerprint(lower, upper))) {
          skip = true;
        } else {
          flushSkip();
          this.splitRange(lower, upper, currBound, o);
        }
      } else if (mode === Mode.IdList) {
        const count = query.varint();
        // Their ids are not needed to answer: the initiator compares; we send ours.
        query.take(count * ID_BYTES);
        flushSkip();
        const end = this.writeIdList(lower, upper, currBound, o, out.length);
        // Cut by the frame limit (it fits, by construction): the rest is the next round's.
        if (end < upper) {
          out.append(o);
          this.closeWithFingerprint(out, end);
          break;
        }
      } else {
        throw new NegentropyError(`unknown range mode ${mode}`);
      }
      if (out.length + o.length > this.frameBytes - FRAME_SLACK) {
        this.closeWithFingerprint(out, emittedIndex);
        break;
      }
      if (o.length > 0) {
        out.append(o);
        emittedIndex = upper;
      }
      prevIndex = upper;
      prevBound = currBound;
    }
    return out.view().slice();
  }

  /** Ends the answer with one range from item `from` to infinity: its fingerprint. */
  private closeWithFingerprint(out: Writer, from: number): void {
    this.writeBound(out, INFINITE);
    out.varint(Mode.Fingerprint);
    out.bytes(this.items.fingerprint(from, this.items.size));
  }

  /**
   * Our ids of [lower, upper) as an IdList range, cut where the frame would overflow (the
   * range then ends at the first id left out). Returns the index the written range ends at.
   */
  private writeIdList(lower: number, upper: number, bound: Bound, o: Writer, written: number): number {
    let end = upper;
    let endBound = bound;
    const room = this.frameBytes - FRAME_SLACK - written - o.length;
    for (let i = lower; i < upper; i++) {
      if ((i - lower + 1) * ID_BYTES > room) {
        end = i;
        endBound = { timestamp: this.items.timestamp(i), id: this.items.id(i) };
        break;
      }
    }
    this.writeBound(o, endBound);
    o.varint(Mode.IdList);
    o.varint(end - lower);
    for (let i = lower; i < end; i++) o.bytes(this.items.id(i));
    return end;
  }

  /** A differing range: its ids when small, else 16 fingerprinted buckets. */
  private splitRange(lower: number, upper: number, upperBound: Bound, o: Writer): void {
    const n = upper - lower;
    if (n < BUCKETS * 2) {
      this.writeBound(o, upperBound);
      o.varint(Mode.IdList);
      o.varint(n);
      for (let i = lower; i < upper; i++) o.bytes(this.items.id(i));
      return;
    }
    const perBucket = Math.floor(n / BUCKETS);
    const withExtra = n % BUCKETS;
    let curr = lower;
    for (let b = 0; b < BUCKETS; b++) {
      const bucketSize = perBucket + (b < withExtra ? 1 : 0);
      const fingerprint = this.items.fingerprint(curr, curr + bucketSize);
      curr += bucketSize;
      this.writeBound(o, curr === upper ? upperBound : this.minimalBound(curr - 1, curr));
      o.varint(Mode.Fingerprint);
      o.bytes(fingerprint);
    }
  }

  /** The shortest bound above item `prev` and at or below item `curr`. */
  private minimalBound(prev: number, curr: number): Bound {
    const ts = this.items.timestamp(curr);
    if (ts !== this.items.timestamp(prev)) return { timestamp: ts, id: new Uint8Array(0) };
    const a = this.items.id(prev);
    const b = this.items.id(curr);
    let shared = 0;
    while (shared < ID_BYTES && a[shared] === b[shared]) shared++;
    return { timestamp: ts, id: b.subarray(0, shared + 1) };
  }

  private readBound(query: Reader): Bound {
    const encoded = query.varint();
    let timestamp: number;
    if (encoded === 0 || this.lastIn === Number.POSITIVE_INFINITY) {
      timestamp = Number.POSITIVE_INFINITY;
    } else {
      timestamp = this.lastIn + encoded - 1;
      if (timestamp > Number.MAX_SAFE_INTEGER) throw new NegentropyError('timestamp too large');
    }
    this.lastIn = timestamp;
    const length = query.varint();
    if (length > ID_BYTES) throw new NegentropyError('bound id longer than 32 bytes');
    return { timestamp, id: query.take(length) };
  }

  private writeBound(o: Writer, bound: Bound): void {
    if (bound.timestamp === Number.POSITIVE_INFINITY) {
      this.lastOut = Number.POSITIVE_INFINITY;
      o.varint(0);
    } else {
      o.varint(bound.timestamp - this.lastOut + 1);
      this.lastOut = bound.timestamp;
    }
    o.varint(bound.id.length);
    o.bytes(bound.id);
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
