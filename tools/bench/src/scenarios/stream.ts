import { RelaySocket } from '../client.js';
import type { ProgressSink } from '../progress.js';
import { queryOnce } from '../query.js';
import type { ScenarioResult } from '../report.js';
import { perSecond } from '../stats.js';

/** Settings of the `stream` scenario. */
export interface StreamOptions {
  url: string;
  /** The `limit` of the single REQ. */
  count: number;
  /** Gives up waiting for EOSE after this many seconds. */
  durationSec: number;
}

/** Default settings of `stream`. */
export const STREAM_DEFAULTS = { count: 5000, durationSec: 120 } as const;

/**
 * Stored-event streaming speed: one reader sends `{limit: count}` and counts events until EOSE.
 * The relay caps the limit at its MAX_LIMIT setting; start it with a larger one to stream more.
 */
export async function runStream(opts: StreamOptions, progress: ProgressSink): Promise<ScenarioResult> {
  const socket = await RelaySocket.connect(opts.url);
  try {
    progress.start('stream', opts.count);
    const answer = await queryOnce(socket, [{ limit: opts.count }], opts.durationSec * 1000, false);
    progress.update(answer.count);
    progress.finish();
    const notes: string[] = [];
    if (answer.timedOut) notes.push(`no EOSE within --duration ${opts.durationSec}s`);
    if (answer.closedReason !== undefined) notes.push(`relay sent CLOSED: ${answer.closedReason}`);
    if (answer.count < opts.count) {
      notes.push(
        `received ${answer.count} < limit ${opts.count}: the store is smaller or the relay caps the limit (MAX_LIMIT)`,
      );
    }
    const streamMs = answer.ms - (answer.firstEventMs ?? 0);
    return {
      scenario: 'stream',
      params: { ...opts },
      figures: [
        { figure: 'events', value: answer.count, unit: 'events' },
        { figure: 'stream rate', value: perSecond(answer.count, answer.ms), unit: 'events/s' },
        {
          figure: 'stream rate after first event',
          value: perSecond(answer.count, streamMs),
          unit: 'events/s',
        },
        { figure: 'first event', value: answer.firstEventMs ?? Number.NaN, unit: 'ms' },
        { figure: 'EOSE', value: answer.ms, unit: 'ms' },
      ],
      notes,
    };
  } finally {
    await socket.close();
  }
}
