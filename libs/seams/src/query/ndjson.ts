/**
 * NDJSON framing shared by the query service and its HTTP client: one raw event JSON per line,
 * then one control line. Control lines cannot be mistaken for events: a valid event has only
 * NIP-01 fields, never a lone `eose` or `error` key.
 */

/** The last line of a complete query stream. */
export const NDJSON_END_LINE = '{"eose":true}';

/** The start of the last line of a query stream that failed part way. */
export const NDJSON_ERROR_START = '{"error":';

/**
 * The NDJSON line of a mid-stream failure: `{"error":"..."}`, with `"invalid":true` when the
 * request itself was refused (the client then rejects with InvalidQueryError).
 */
export function ndjsonErrorLine(message: string, opts: { invalid?: boolean } = {}): string {
  return JSON.stringify(opts.invalid ? { error: message, invalid: true } : { error: message });
}

/**
 * One event's text as one NDJSON line body. Literal newlines in event text can only be JSON
 * whitespace (newlines inside strings are escaped), so turning them into spaces keeps the same
 * event; the scan costs one `indexOf` and the copy happens only for such rare texts.
 */
export function ndjsonEventLine(raw: string): string {
  return raw.indexOf('\n') === -1 ? raw : raw.replace(/\n/g, ' ');
}

/**
 * A batch of events as NDJSON text: each event's line (see `ndjsonEventLine`) followed by "\n",
 * built as one string so the batch is one write (one HTTP chunk).
 */
export function ndjsonEventLines(raws: readonly string[]): string {
  let text = '';
  for (const raw of raws) text += ndjsonEventLine(raw) + '\n';
  return text;
}

/**
 * Splits text arriving in arbitrary chunks into "\n"-terminated lines; a line cut across chunks
 * is carried over. The text after the last newline is in `rest`.
 */
export class LineSplitter {
  #carry = '';

  /** The complete lines that `chunk` finishes, in order (often none, for a chunk cut short). */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      let line = chunk.slice(start, nl);
      if (this.#carry.length > 0) {
        line = this.#carry + line;
        this.#carry = '';
      }
      start = nl + 1;
      lines.push(line);
    }
    if (start < chunk.length) this.#carry += chunk.slice(start);
    return lines;
  }

  /** Text received after the last newline. */
  get rest(): string {
    return this.#carry;
  }
}
