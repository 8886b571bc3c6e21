import { closeAll, connectMany } from '../client.js';
import type { EventMix } from '../events.js';
import type { ProgressSink } from '../progress.js';
import { publishPipelined, rejectionFigures } from '../publisher.js';
import { latencyFigures, type ScenarioResult } from '../report.js';
import { presign, SignerPool } from '../signer.js';
import { perSecond } from '../stats.js';

/** Settings of the `ingest` scenario. */
export interface IngestOptions {
  url: string;
  /** Events to publish in total. */
  count: number;
  /** Stop sending after this many seconds even if events remain. */
  durationSec: number;
  /** Connections publishing in parallel. */
  publishers: number;
  /** EVENTs each publisher keeps unanswered. */
  inflight: number;
  /** Distinct authors of the events. */
  authors: number;
  mix: EventMix;
  seed: number;
}

/** Default settings of `ingest`. */
export const INGEST_DEFAULTS = {
  count: 10_000,
  durationSec: 60,
  publishers: 8,
  inflight: 16,
  authors: 1000,
  mix: 'notes',
} as const;

/** Seconds the publishers wait for the last OKs after sending stopped. */
const DRAIN_MS = 15_000;

/**
 * Durable ingest throughput: events answered OK true per second of wall time (first EVENT to
 * last OK), with OK latency percentiles. Events are signed before the clock starts.
 */
export async function runIngest(opts: IngestOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const pool = new SignerPool();
  let events: Awaited<ReturnType<typeof presign>>['events'];
  try {
    const now = Math.floor(Date.now() / 1000);
    ({ events } = await presign(pool, progress, {
      count: opts.count,
      authors: opts.authors,
      mix: opts.mix,
      seed: opts.seed,
      now,
      spanSeconds: 0,
    }));
  } finally {
    await pool.close();
  }
  progress.start('connecting', opts.publishers);
  const sockets = await connectMany(opts.url, opts.publishers, opts.publishers, (n) => progress.update(n));
  progress.finish();
  try {
    progress.start('ingest', events.length);
    const out = await publishPipelined({
      sockets,
      events,
      inflight: opts.inflight,
      deadline: performance.now() + opts.durationSec * 1000,
      drainMs: DRAIN_MS,
      onProgress: (n) => progress.update(n),
    });
    progress.finish();
    const notes: string[] = [];
    if (out.sent < events.length)
      notes.push(`--duration ended the run after ${out.sent} of ${events.length} events`);
    if (out.unanswered > 0) notes.push(`${out.unanswered} EVENTs got no OK within ${DRAIN_MS / 1000}s`);
    return {
      scenario: 'ingest',
      params: { ...opts },
      figures: [
        { figure: 'durable ingest', value: perSecond(out.accepted, out.wallMs), unit: 'events/s' },
        ...latencyFigures('OK latency', out.latencies.summary()),
        { figure: 'sent', value: out.sent, unit: 'events' },
        { figure: 'OK true', value: out.accepted, unit: 'events' },
        { figure: 'OK true duplicate', value: out.duplicates, unit: 'events' },
        ...rejectionFigures(out.rejected),
        { figure: 'unanswered', value: out.unanswered, unit: 'events' },
        { figure: 'wall time', value: out.wallMs / 1000, unit: 's' },
      ],
      notes,
    };
  } finally {
    await closeAll(sockets);
  }
}
