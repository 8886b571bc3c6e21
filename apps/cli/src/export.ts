import type { Config } from '@nrelay/config';
import { type Filter, isProtocolError, validateFilter } from '@nrelay/protocol';
import { Progress } from '@nrelay/runtime';
import { openOutput } from './compression.js';
import { CliError, openRelayStore } from './relay-store.js';

/** Options of `nrelay export`. */
export interface ExportOptions {
  /** A NIP-01 filter as JSON; `{}` (everything) when absent. */
  filter?: string;
  since?: number;
  until?: number;
  /** The output file (`.gz`/`.zst` by name); stdout when absent or `-`. */
  out?: string;
  signal: AbortSignal;
}

/** Rows per database round trip: a page of the store's keyset cursor. */
const EXPORT_PAGE_ROWS = 1000;

/** Parses `--filter` with the relay's own filter validation, then applies --since/--until. */
export function filterOf(json: string | undefined, since?: number, until?: number): Filter {
  let data: unknown = {};
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch {
      throw new CliError(`--filter is not JSON: ${json}`);
    }
  }
  const filter = validateFilter(data);
  if (isProtocolError(filter)) throw new CliError(`--filter: ${filter.reason}`);
  const out: Filter = { ...filter };
  if (since !== undefined) out.since = since;
  if (until !== undefined) out.until = until;
  return out;
}

/**
 * Writes the stored events matching the filter as JSONL, one event per line, exactly as stored
 * (the original JSON text), newest first with ties by id: the store's keyset cursor on
 * (created_at, id) reads a page at a time, so memory stays constant however many there are.
 * Every kind is exported (privileged ones too: an operator's backup); expired, deleted and
 * banned events are not served by the relay and are not exported. Returns the count written
 * and whether `signal` stopped it first (what was written until then is flushed: a file cut
 * at a line end).
 */
export async function runExport(
  config: Config,
  opts: ExportOptions,
): Promise<{ written: number; interrupted: boolean }> {
  const filter = filterOf(opts.filter, opts.since, opts.until);
  const limit = filter.limit ?? Number.MAX_SAFE_INTEGER;
  const relay = await openRelayStore(config, 1);
  const progress = new Progress();
  let written = 0;
  try {
    const { out, close } = await openOutput(opts.out);
    progress.start(`export${opts.out ? ` ${opts.out}` : ''}`, 0);
    const pages = relay.store.query(filter, { limit, pageSize: EXPORT_PAGE_ROWS, signal: opts.signal });
    try {
      for await (const page of pages) {
        let text = '';
        for (const row of page) text += `${row.raw}\n`;
        written += page.length;
        // Backpressure: a slow disk or pipe holds the next page, not memory.
        if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', resolve));
        progress.update(written);
      }
    } catch (err) {
      // SIGINT/SIGTERM abort the store's paging: keep what was written, whole lines only.
      if (!opts.signal.aborted) throw err;
    }
    await close();
    progress.finish();
  } finally {
    await relay.close();
  }
  return { written, interrupted: opts.signal.aborted };
}
