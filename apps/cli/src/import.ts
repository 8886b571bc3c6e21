import type { Config } from '@nrelay/config';
import { parseLimitsOf } from '@nrelay/gateway';
import { chooseVerifier } from '@nrelay/ingest';
import type { RawEvent, SignatureVerifier } from '@nrelay/protocol';
import { Progress } from '@nrelay/runtime';
import type { Logger } from 'pino';
import { openCliPipeline } from './cli-pipeline.js';
import { openInput } from './compression.js';
import { EventSink, parseEventText } from './event-sink.js';
import { readLines } from './lines.js';
import type { WriteSummary } from './summary.js';
import { VerifyPool } from './verify-pool.js';

/** Options of `nrelay import`. */
export interface ImportOptions {
  /** A JSONL file (`.gz`/`.zst` by name) or `-` for stdin. */
  file: string;
  /** Publish stored events to live subscribers (cluster fanout). */
  publish: boolean;
  /** False: trust the signatures (`--no-verify`). */
  verify: boolean;
  /** Most events per store transaction (default the relay's, or 2000 in bulk). */
  batch?: number;
  /** Runs of regular events through the store's bulk path (false: `--no-bulk`). */
  bulk: boolean;
  /** Store transactions in flight at once (Postgres); default 1 in bulk. */
  writers?: number;
  /** Events handed to the pipeline and not yet answered, at most. */
  window: number;
  /** Longest line, in bytes; longer ones are skipped as invalid. */
  maxLineBytes: number;
  /** Stops the run: the events already handed over are finished, then the summary. */
  signal: AbortSignal;
  /** Where a bad line is reported (stderr). */
  report(message: string): void;
}

/** Signatures taken as they are: only for files the operator trusts (the relay's own export). */
const TRUSTING: SignatureVerifier = { name: 'none (--no-verify)', verify: () => true };
/** Events per batch sent to a verifying thread. */
const CHECK_BATCH = 256;

/** Parsed events waiting for their signature check, then handed to the pipeline in file order. */
type Checked = Promise<Array<{ raw: RawEvent; label: string }>>;

/**
 * Streams a JSONL file through the relay's ingest pipeline: each line parsed by the relay's
 * parser, its signature checked on worker threads (`VerifyPool`; the pipeline's verify stage
 * takes their verdicts and checks the id), checked against the relay's rules and stored in
 * batches (one transaction per batch), duplicates skipped. Bad lines are reported with their
 * number and skipped. Once `signal` aborts, reading stops and the events already read are
 * finished (each batch commits whole or not at all), so a rerun continues where this one stopped.
 */
export async function runImport(config: Config, logger: Logger, opts: ImportOptions): Promise<WriteSummary> {
  const limits = parseLimitsOf(config);
  // An unknown SIGNATURE_VERIFIER or a missing native addon is told here, before any thread.
  if (opts.verify) chooseVerifier(config.SIGNATURE_VERIFIER);
  const pool = opts.verify ? VerifyPool.start(config.SIGNATURE_VERIFIER) : undefined;
  const cli = await openCliPipeline(config, logger, {
    publish: opts.publish,
    verifier: pool?.verifier ?? TRUSTING,
    bulk: opts.bulk,
    ...(opts.writers === undefined ? {} : { writers: opts.writers }),
    ...(opts.batch === undefined ? {} : { batch: opts.batch }),
  }).catch(async (err: unknown) => {
    await pool?.close();
    throw err;
  });
  const sink = new EventSink(cli, opts.window, opts.report, 'import');
  const { summary } = sink;
  const progress = new Progress();
  const input = openInput(opts.file);
  const stop = () => (input as { destroy?: () => void }).destroy?.();
  opts.signal.addEventListener('abort', stop, { once: true });
  // Batches being checked, oldest first; at most one per thread and one more are read ahead.
  const checking: Checked[] = [];
  let batch: Array<{ raw: RawEvent; label: string }> = [];
  const startCheck = () => {
    const events = batch;
    batch = [];
    checking.push(
      pool ? pool.check(events.map((e) => e.raw.event)).then(() => events) : Promise.resolve(events),
    );
  };
  const submitOldest = async () => {
    for (const { raw, label } of await (checking.shift() as Checked)) await sink.submit(raw, label);
  };
  progress.start(`import ${opts.file}`, 0);
  const started = performance.now();
  try {
    for await (const line of readLines(input as AsyncIterable<Buffer>, opts.maxLineBytes)) {
      // A store failure stops the run: the database is likely gone for the next events too.
      if (opts.signal.aborted || summary.failed > 0) break;
      summary.read++;
      const label = `line ${line.n}`;
      if ('tooLong' in line) {
        sink.invalid(label, `invalid: longer than ${opts.maxLineBytes} bytes (${line.bytes})`);
        continue;
      }
      const raw = parseEventText(line.text, limits);
      if (typeof raw === 'string') sink.invalid(label, raw);
      else batch.push({ raw, label });
      if (batch.length >= CHECK_BATCH) startCheck();
      while (checking.length > (pool?.size ?? 0) + 1) await submitOldest();
      progress.update(summary.read);
    }
  } catch (err) {
    // Destroying the input on SIGINT ends the loop with a premature-close error: that is the stop.
    if (!opts.signal.aborted) throw err;
  } finally {
    opts.signal.removeEventListener('abort', stop);
    // What was read is finished: checked, handed over and answered.
    if (batch.length > 0) startCheck();
    while (checking.length > 0) await submitOldest();
    await sink.drain();
    summary.seconds = (performance.now() - started) / 1000;
    progress.finish();
    await cli.close(summary.stored > 0);
    await pool?.close();
  }
  if (opts.signal.aborted || summary.failed > 0) summary.interrupted = true;
  return summary;
}
