/** One line of a JSONL input: its number (from 1) and its text, or `tooLong` past the bound. */
export type Line = { n: number; text: string; bytes: number } | { n: number; tooLong: true; bytes: number };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines of at most `maxBytes` bytes (without the newline; a trailing
 * `\r` is dropped). A longer line is reported as `tooLong` and its bytes are skipped as they
 * come, so memory stays at one chunk plus `maxBytes` whatever the input. Blank lines are not
 * yielded (they still count for the line numbers).
 */
export async function* readLines(
  input: AsyncIterable<Buffer | string> | Iterable<Buffer | string>,
  maxBytes: number,
): AsyncGenerator<Line> {
  let carry: Buffer[] = [];
  let carried = 0;
  let skipping = false;
  let skipped = 0;
  let n = 0;
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(NEWLINE, start);
      const stop = end === -1 ? chunk.length : end;
      if (skipping) skipped += stop - start;
      else if (carried + stop - start > maxBytes) {
        skipping = true;
        skipped = carried + stop - start;
        carry = [];
        carried = 0;
      } else if (stop > start) {
        carry.push(chunk.subarray(start, stop));
        carried += stop - start;
      }
      if (end === -1) break;
      n++;
      if (skipping) yield { n, tooLong: true, bytes: skipped };
      else if (carried > 0) {
        const line = textOf(carry, carried);
        if (line.text.length > 0) yield { n, text: line.text, bytes: line.bytes };
      }
      skipping = false;
      skipped = 0;
      carry = [];
      carried = 0;
      start = end + 1;
    }
    // The carried slices must not pin the chunks they came from past this loop turn.
    if (carried > 0) carry = [Buffer.from(Buffer.concat(carry, carried))];
  }
  n++;
  if (skipping) yield { n, tooLong: true, bytes: skipped };
  else if (carried > 0) {
    const line = textOf(carry, carried);
    if (line.text.length > 0) yield { n, text: line.text, bytes: line.bytes };
  }
}

function textOf(parts: Buffer[], size: number): { text: string; bytes: number } {
  const bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, size);
  const cr = bytes[bytes.length - 1] === 0x0d ? 1 : 0;
  const text = bytes.toString('utf8', 0, bytes.length - cr).trim();
  return { text, bytes: size };
}
