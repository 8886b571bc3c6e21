import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '@nrelay/config';
import { parseLimitsOf } from '@nrelay/gateway';
import { Progress } from '@nrelay/runtime';
import type { Logger } from 'pino';
import { openCliPipeline } from './cli-pipeline.js';
import { EventSink, parseEventText } from './event-sink.js';
import { filterOf } from './export.js';
import { eventTextOf, RemoteRelay } from './remote-relay.js';
import { downloadSince } from './requests.js';
import type { WriteSummary } from './summary.js';

/** Options of `nrelay mirror`. */
export interface MirrorOptions {
  url: string;
  filter?: string;
  publish: boolean;
  signal: AbortSignal;
  /** Bad events and connection news (stderr). */
  report(message: string): void;
}

/** Reconnect delays: 1 s, doubling, at most 30 s; reset by a connection that opens. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A gap is caught up from this many seconds before the last event seen (clock skew, late arrivals). */
const CATCH_UP_MARGIN_SECONDS = 60;
/** Live events held while the store is slower than the remote: past this, reconnect and catch up. */
const MAX_QUEUED = 10_000;
const SUB = 'nrelay-mirror';

/**
 * Follows another relay's live stream (a `limit:0` REQ) and stores what arrives through the
 * ingest pipeline. A dropped connection is retried with backoff; once back, the live REQ is
 * opened first and the gap is caught up with paged REQs since the newest event seen (less a
 * margin), so nothing falls between the two. Runs until `signal` aborts.
 */
export async function runMirror(config: Config, logger: Logger, opts: MirrorOptions): Promise<WriteSummary> {
  const filter = filterOf(opts.filter);
  const limits = parseLimitsOf(config);
  const cli = await openCliPipeline(config, logger, { publish: opts.publish });
  const sink = new EventSink(cli, 1024, opts.report, 'mirror');
  const { summary } = sink;
  const progress = new Progress();
  let newest: number | undefined;
  const take = async (text: string) => {
    summary.read++;
    const raw = parseEventText(text, limits);
    if (typeof raw === 'string') return sink.invalid(`event from ${opts.url}`, raw);
    newest = Math.max(newest ?? 0, raw.event.created_at);
    await sink.submit(raw, `event ${raw.event.id}`);
    progress.update(summary.stored);
  };
  const started = performance.now();
  progress.start(`mirror ${opts.url} (stored)`, 0);
  let backoff = FIRST_BACKOFF_MS;
  try {
    while (!opts.signal.aborted) {
      const remote = await RemoteRelay.open(opts.url).catch((err: Error) => {
        opts.report(`${err.message}; retrying in ${backoff / 1000} s`);
        return undefined;
      });
      if (!remote) {
        await sleep(backoff, undefined, { signal: opts.signal }).catch(() => undefined);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
        continue;
      }
      backoff = FIRST_BACKOFF_MS;
      const why = await follow(remote, filter, newest, take, opts);
      opts.report(`${opts.url}: ${why}${opts.signal.aborted ? '' : `; reconnecting in ${backoff / 1000} s`}`);
      if (!opts.signal.aborted)
        await sleep(backoff, undefined, { signal: opts.signal }).catch(() => undefined);
    }
  } finally {
    await sink.drain();
    summary.seconds = (performance.now() - started) / 1000;
    summary.interrupted = true;
    progress.finish();
    await cli.close(summary.stored > 0);
  }
  return summary;
}

/** One connection's life: the live REQ, the catch-up, then waiting for the end. */
async function follow(
  remote: RemoteRelay,
  filter: ReturnType<typeof filterOf>,
  since: number | undefined,
  take: (text: string) => Promise<void>,
  opts: MirrorOptions,
): Promise<string> {
  let queue = Promise.resolve();
  let queued = 0;
  let overflow = false;
  const stop = remote.onFrame((frame) => {
    const [verb, sub, detail] = frame.message;
    if (sub !== SUB) return;
    if (verb === 'CLOSED') {
      opts.report(`${remote.url} closed the live subscription: ${String(detail ?? '')}`);
      remote.close();
    }
    if (verb !== 'EVENT' || overflow) return;
    if (++queued > MAX_QUEUED) {
      // The store cannot keep up: drop the connection and catch up from what was stored.
      overflow = true;
      remote.close();
      return;
    }
    const text = eventTextOf(frame);
    queue = queue.then(() => take(text)).finally(() => queued--);
  });
  const onAbort = () => remote.close();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    remote.send(['REQ', SUB, { ...filter, limit: 0 }]);
    opts.report(`following ${remote.url}${since === undefined ? '' : ', catching up the gap'}`);
    if (since !== undefined) {
      const ended = await downloadSince(
        remote,
        filter,
        since - CATCH_UP_MARGIN_SECONDS,
        (text) => (queue = queue.then(() => take(text))),
        opts.signal,
      );
      if (ended && !opts.signal.aborted) opts.report(`catching up from ${remote.url} ended early: ${ended}`);
    }
    const why = await remote.closed;
    await queue;
    return overflow
      ? `more than ${MAX_QUEUED} events waiting for the store: reconnecting to catch up`
      : `connection ${why}`;
  } finally {
    stop();
    opts.signal.removeEventListener('abort', onAbort);
  }
}
