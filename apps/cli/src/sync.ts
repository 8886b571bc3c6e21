import type { Config } from '@nrelay/config';
import { parseLimitsOf } from '@nrelay/gateway';
import type { Filter } from '@nrelay/protocol';
import type { EventStore } from '@nrelay/store';
import type { Logger } from 'pino';
import { openCliPipeline } from './cli-pipeline.js';
import { EventSink, parseEventText } from './event-sink.js';
import { filterOf } from './export.js';
import { NegentropyRefused, reconcileWith } from './negentropy-client.js';
import { CliError } from './relay-store.js';
import { RemoteRelay } from './remote-relay.js';
import { downloadSince, IDS_PER_REQ, requestStored } from './requests.js';
import type { WriteSummary } from './summary.js';
import { type UploadSummary, uploadEvents } from './upload.js';

/** Which way events go: `down` stores what they have, `up` sends what we have. */
export type SyncDirection = 'down' | 'up' | 'both';

/** Options of `nrelay sync`. */
export interface SyncOptions {
  url: string;
  filter?: string;
  direction: SyncDirection;
  publish: boolean;
  /** Without NIP-77 at the remote: download with REQs since our newest event instead of failing. */
  fallback: boolean;
  /** Largest negentropy message we send, in bytes (before hex). */
  frameBytes: number;
  signal: AbortSignal;
  report(message: string): void;
}

/** What a sync did. */
export interface SyncResult {
  method: 'nip77' | 'req';
  /** Ids only we had / only they had (NIP-77). */
  have: number;
  need: number;
  rounds: number;
  down: WriteSummary;
  up?: UploadSummary;
}

/** Seconds before our newest event that a REQ fallback also asks for (clock skew, late arrivals). */
const FALLBACK_MARGIN_SECONDS = 600;

/**
 * Reconciles our store with another relay over NIP-77 for one filter, then fetches what we lack
 * (REQ by ids, in batches of 100) through the ingest pipeline and uploads what they lack (EVENT,
 * counting OKs). A remote without NIP-77 is told in one line and, with `fallback`, replaced by a
 * paged REQ download since our newest matching event (less a margin); nothing is uploaded then.
 */
export async function runSync(config: Config, logger: Logger, opts: SyncOptions): Promise<SyncResult> {
  const filter = filterOf(opts.filter);
  const limits = parseLimitsOf(config);
  const cli = await openCliPipeline(config, logger, { publish: opts.publish });
  const sink = new EventSink(cli, 1024, opts.report, 'sync');
  const result: SyncResult = { method: 'nip77', have: 0, need: 0, rounds: 0, down: sink.summary };
  const take = (text: string) => {
    sink.summary.read++;
    const raw = parseEventText(text, limits);
    return typeof raw === 'string'
      ? Promise.resolve(sink.invalid(`event from ${opts.url}`, raw))
      : sink.submit(raw, `event ${raw.event.id}`);
  };
  const started = performance.now();
  let remote: RemoteRelay | undefined;
  try {
    remote = await RemoteRelay.open(opts.url).catch((err: Error) => {
      throw new CliError(err.message);
    });
    const packed = await cli.relay.store.items(filter, { limit: config.NEG_MAX_RECORDS + 1 });
    if (packed.length / 40 > config.NEG_MAX_RECORDS) {
      throw new CliError(
        `the filter matches more than NEG_MAX_RECORDS (${config.NEG_MAX_RECORDS}) local events: narrow it (--filter with since/until or kinds) and sync in parts`,
      );
    }
    try {
      const diff = await reconcileWith(remote, filter, packed, opts.frameBytes);
      Object.assign(result, { have: diff.have.length, need: diff.need.length, rounds: diff.rounds });
      if (opts.direction !== 'up') await fetchByIds(remote, diff.need, take, opts.signal);
      if (opts.direction !== 'down')
        result.up = await uploadEvents(remote, cli.relay.store, diff.have, opts.signal);
    } catch (err) {
      if (!(err instanceof NegentropyRefused)) throw err;
      if (!opts.fallback || opts.direction === 'up') {
        throw new CliError(
          `${opts.url} did not take part in NIP-77 (${err.message}); nothing was synced (--fallback downloads with REQs instead)`,
        );
      }
      const since = (await newestOf(cli.relay.store, filter)) - FALLBACK_MARGIN_SECONDS;
      opts.report(
        `${opts.url} did not take part in NIP-77 (${err.message}): downloading with REQs since ${since > 0 ? new Date(since * 1000).toISOString() : 'the beginning'} instead (no upload)`,
      );
      result.method = 'req';
      const ended = await downloadSince(remote, filter, since > 0 ? since : undefined, take, opts.signal);
      if (ended) opts.report(`download from ${opts.url} ended early: ${ended}`);
    }
  } finally {
    remote?.close();
    await sink.drain();
    sink.summary.seconds = (performance.now() - started) / 1000;
    if (opts.signal.aborted) sink.summary.interrupted = true;
    await cli.close(sink.summary.stored > 0);
  }
  return result;
}

/** Fetches the events with these ids, 100 ids per REQ, and hands each to `take`. */
async function fetchByIds(
  remote: RemoteRelay,
  ids: readonly string[],
  take: (text: string) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  for (let start = 0; start < ids.length && !signal.aborted; start += IDS_PER_REQ) {
    const { texts, ended } = await requestStored(remote, { ids: ids.slice(start, start + IDS_PER_REQ) });
    for (const text of texts) await take(text);
    if (ended) throw new CliError(`fetching events from ${remote.url} failed: ${ended}`);
  }
}

/** created_at of our newest event matching `filter`, or 0 when we have none. */
async function newestOf(store: EventStore, filter: Filter): Promise<number> {
  for await (const page of store.query({ ...filter, limit: 1 }, { limit: 1 })) {
    const text = page[0]?.raw ?? '';
    return Number(/"created_at"\s*:\s*(\d+)/.exec(text)?.[1] ?? 0);
  }
  return 0;
}
