/**
 * Byte-level pieces of the negentropy V1 wire format (NIP-77 appendix): base-128 varints, the
 * reader of a client's message and the growable writer of our answer.
 */

/** A malformed negentropy message; `message` is fit for a NEG-ERR `invalid:` reason. */
export class NegentropyError extends Error {
  override readonly name = 'NegentropyError';
}

/** Largest value a varint may carry here: timestamps and counts are JavaScript numbers. */
const MAX_VARINT = Number.MAX_SAFE_INTEGER;

/** Reads a client's message front to back; every read past the end throws `NegentropyError`. */
export class Reader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Whether every byte has been read. */
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /** One byte. */
  byte(): number {
    if (this.pos >= this.bytes.length) throw new NegentropyError('message ends prematurely');
    return this.bytes[this.pos++]!;
  }

  /** The next `n` bytes, as a view (not a copy). */
  take(n: number): Uint8Array {
    if (this.pos + n > this.bytes.length) throw new NegentropyError('message ends prematurely');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /**
   * A varint: big-endian base 128, the high bit set on every byte but the last. Arithmetic,
   * not 32-bit shifts, so values up to 2^53 survive; anything larger is refused.
   */
  varint(): number {
    let value = 0;
    for (;;) {
      const b = this.byte();
      value = value * 128 + (b & 0x7f);
      if (value > MAX_VARINT) throw new NegentropyError('varint too large');
      if ((b & 0x80) === 0) return value;
    }
  }
}

/** An append-only byte buffer that doubles its capacity when full. */
export class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Appends one byte. */
  byte(b: number): void {
    this.reserve(1);
    this.buf[this.len++] = b;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  /** Appends a varint (a non-negative safe integer). */
  varint(n: number): void {
    const digits: number[] = [];
    do {
      digits.push(n % 128);
      n = Math.floor(n / 128);
    } while (n > 0);
    this.reserve(digits.length);
    for (let i = digits.length - 1; i >= 0; i--) this.buf[this.len++] = digits[i]! | (i > 0 ? 0x80 : 0);
  }

  /** Appends everything another writer holds. */
  append(other: Writer): void {
    this.bytes(other.view());
  }

  /** Forgets what was written; keeps the capacity. */
  clear(): void {
    this.len = 0;
  }

  /** The bytes written, as a view valid until the next write. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
