import type { Config } from '@nrelay/config';
import { parseLimitsOf } from '@nrelay/gateway';
import { type ParseLimits, parseClientMessage, type RawEvent } from '@nrelay/protocol';
import { Progress } from '@nrelay/runtime';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { Logger } from 'pino';
import { openCliPipeline } from './cli-pipeline.js';
import { openInput } from './compression.js';
import { readLines } from './lines.js';
import { countAnswer, emptySummary, type WriteSummary } from './summary.js';

/** Options of `nrelay import`. */
export interface ImportOptions {
  /** A JSONL file (`.gz`/`.zst` by name) or `-` for stdin. */
  file: string;
  /** Publish stored events to live subscribers (cluster fanout). */
  publish: boolean;
  /** Events handed to the pipeline and not yet answered, at most. */
  window: number;
  /** Longest line, in bytes; longer ones are skipped as invalid. */
  maxLineBytes: number;
  /** Stops the run: the events already handed over are finished, then the summary. */
  signal: AbortSignal;
  /** Where a bad line is reported (stderr). */
  report(message: string): void;
}

/** How many per-line messages a run prints before it only counts. */
const MAX_REPORTED_LINES = 1000;

/** One frame as a client would send it, so the relay's own parser judges the line. */
function parseLine(text: string, limits: ParseLimits): RawEvent | string {
  const parsed = parseClientMessage(`["EVENT",${text}]`, limits);
  if (!parsed.ok) return parsed.error.reason;
  const [verb, raw] = parsed.message;
  return verb === 'EVENT' && typeof raw === 'object' ? raw : 'invalid: not an event';
}

/**
 * Streams a JSONL file through the relay's ingest pipeline: each line parsed by the relay's
 * parser, verified, checked against the relay's rules and stored in batches (one transaction
 * per batch), duplicates skipped. Bad lines are reported with their number and skipped. Once
 * `signal` aborts, reading stops and the events already handed over are finished (each batch
 * commits whole or not at all), so a rerun continues where this one stopped.
 */
export async function runImport(config: Config, logger: Logger, opts: ImportOptions): Promise<WriteSummary> {
  const summary = emptySummary();
  const limits = parseLimitsOf(config);
  const cli = await openCliPipeline(config, logger, { publish: opts.publish });
  const progress = new Progress();
  let reported = 0;
  const report = (message: string) => {
    if (reported < MAX_REPORTED_LINES) opts.report(message);
    else if (reported === MAX_REPORTED_LINES)
      opts.report(`(more than ${MAX_REPORTED_LINES} messages: only counting now)`);
    reported++;
  };
  let active = 0;
  let wake: (() => void) | undefined;
  const settle = (n: number, ok: boolean, reason: string) => {
    const outcome = countAnswer(summary, ok, reason);
    if (outcome === 'invalid' || outcome === 'failed') report(`line ${n}: ${reason}`);
    if (outcome === 'failed') summary.interrupted = true;
    active--;
    if (wake && active <= opts.window / 2) {
      wake();
      wake = undefined;
    }
  };
  const input = openInput(opts.file);
  const stop = () => (input as { destroy?: () => void }).destroy?.();
  opts.signal.addEventListener('abort', stop, { once: true });
  progress.start(`import ${opts.file}`, 0);
  const started = performance.now();
  try {
    for await (const line of readLines(input as AsyncIterable<Buffer>, opts.maxLineBytes)) {
      if (opts.signal.aborted || summary.failed > 0) break;
      summary.read++;
      if ('tooLong' in line) {
        summary.invalid++;
        report(`line ${line.n}: invalid: longer than ${opts.maxLineBytes} bytes (${line.bytes})`);
        continue;
      }
      const raw = parseLine(line.text, limits);
      if (typeof raw === 'string') {
        summary.invalid++;
        report(`line ${line.n}: ${raw}`);
        continue;
      }
      active++;
      const request: IngestRequest = {
        v: 1,
        event: raw,
        receivedAt: Date.now(),
        gatewayId: 'nrelay-cli',
        connectionId: 'import',
        authedPubkeys: [],
      };
      const n = line.n;
      cli.pipeline.process(request).then(
        (result) => settle(n, result.ok, result.reason),
        (err: unknown) => settle(n, false, `error: ${String(err)}`),
      );
      if (active >= opts.window) await new Promise<void>((resolve) => (wake = resolve));
      progress.update(summary.read);
    }
  } catch (err) {
    // Destroying the input on SIGINT ends the loop with a premature-close error: that is the stop.
    if (!opts.signal.aborted) throw err;
  } finally {
    opts.signal.removeEventListener('abort', stop);
    while (active > 0) await new Promise<void>((resolve) => (wake = resolve));
    summary.seconds = (performance.now() - started) / 1000;
    progress.finish();
    await cli.close(summary.stored > 0);
  }
  if (opts.signal.aborted) summary.interrupted = true;
  return summary;
}
