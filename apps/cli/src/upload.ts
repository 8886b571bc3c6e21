import type { EventStore } from '@nrelay/store';
import type { RemoteRelay } from './remote-relay.js';
import { IDS_PER_REQ } from './requests.js';

/** What the remote relay answered to our uploaded events. */
export interface UploadSummary {
  sent: number;
  /** OK true, newly taken. */
  accepted: number;
  /** OK true with `duplicate:`. */
  duplicate: number;
  /** OK false: the remote's reasons and how often each was given. */
  rejected: number;
  /** Sent but never answered (the connection closed, or 30 s of silence at the end). */
  unanswered: number;
  reasons: Record<string, number>;
}

/** Events sent and not yet answered, at most: relays limit what one connection may have pending. */
const MAX_UNANSWERED = 100;
const OK_TIMEOUT_MS = 30_000;

/**
 * Sends our stored events with the given ids to the remote relay as EVENT messages, exactly
 * as stored, at most `MAX_UNANSWERED` awaiting their OK at once, and counts the OKs by outcome.
 */
export async function uploadEvents(
  remote: RemoteRelay,
  store: EventStore,
  ids: readonly string[],
  signal: AbortSignal,
): Promise<UploadSummary> {
  const summary: UploadSummary = {
    sent: 0,
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    unanswered: 0,
    reasons: {},
  };
  const waiting = new Set<string>();
  let wake: (() => void) | undefined;
  const stop = remote.onFrame(({ message }) => {
    const [verb, id, ok, reason] = message;
    if (verb !== 'OK' || typeof id !== 'string' || !waiting.delete(id)) return;
    const why = typeof reason === 'string' ? reason : '';
    if (ok === true) summary[why.startsWith('duplicate:') ? 'duplicate' : 'accepted']++;
    else {
      summary.rejected++;
      summary.reasons[why] = (summary.reasons[why] ?? 0) + 1;
    }
    wake?.();
  });
  const room = async (max: number) => {
    while (waiting.size > max) {
      const answered = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), OK_TIMEOUT_MS);
        wake = () => {
          clearTimeout(timer);
          resolve(true);
        };
        void remote.closed.then(() => resolve(false));
      });
      if (!answered) return false;
    }
    return true;
  };
  try {
    for (let start = 0; start < ids.length && !signal.aborted; start += IDS_PER_REQ) {
      const batch = ids.slice(start, start + IDS_PER_REQ);
      for await (const page of store.query({ ids: batch }, { limit: batch.length, signal })) {
        for (const row of page) {
          if (!(await room(MAX_UNANSWERED - 1))) break;
          waiting.add(row.id);
          if (!remote.send(`["EVENT",${row.raw}]`)) break;
          summary.sent++;
        }
      }
      await remote.flushed();
    }
    await room(0);
  } finally {
    summary.unanswered = waiting.size;
    stop();
  }
  return summary;
}
