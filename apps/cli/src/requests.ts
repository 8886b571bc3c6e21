import type { Filter } from '@nrelay/protocol';
import { eventTextOf, type RemoteRelay } from './remote-relay.js';

/** Events one REQ asks for when paging back through a relay's history. */
const PAGE_EVENTS = 500;
/** Most ids in one REQ by ids (strfry fetches 50 at a time, nak 30; NIP-77 relays serve 100). */
export const IDS_PER_REQ = 100;
const EOSE_TIMEOUT_MS = 30_000;

let nextSub = 0;

/** What one REQ returned: the event texts in arrival order, and why it ended early if it did. */
interface Page {
  texts: string[];
  /** The remote's CLOSED reason, or a timeout, when no EOSE came. */
  ended?: string;
}

/**
 * One REQ to its EOSE (or CLOSED, or 30 s of silence): the stored events' texts exactly as the
 * remote sent them. The subscription is closed afterwards.
 */
export function requestStored(remote: RemoteRelay, filter: Filter): Promise<Page> {
  const sub = `nrelay-${++nextSub}`;
  const texts: string[] = [];
  return new Promise<Page>((resolve) => {
    let timer = setTimeout(() => finish('no EOSE within 30 s'), EOSE_TIMEOUT_MS);
    let done = false;
    const finish = (ended?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stop();
      if (ended === undefined || ended.startsWith('no EOSE')) remote.send(['CLOSE', sub]);
      resolve(ended === undefined ? { texts } : { texts, ended });
    };
    const stop = remote.onFrame((frame) => {
      const [verb, id] = frame.message;
      if (id !== sub) return;
      if (verb === 'EVENT') {
        texts.push(eventTextOf(frame));
        clearTimeout(timer);
        timer = setTimeout(() => finish('no EOSE within 30 s'), EOSE_TIMEOUT_MS);
      } else if (verb === 'EOSE') finish();
      else if (verb === 'CLOSED') finish(`CLOSED ${String(frame.message[2] ?? '')}`);
    });
    void remote.closed.then((why) => finish(`connection ${why}`));
    if (!remote.send(['REQ', sub, filter])) finish('connection is not open');
  });
}

/**
 * Downloads the stored events of `filter` created at or after `since`, newest first, a page at
 * a time (`until` moves back to the oldest second seen), handing each text to `take`. Stops when
 * a page brings nothing new. Memory: one page.
 */
export async function downloadSince(
  remote: RemoteRelay,
  filter: Filter,
  since: number | undefined,
  take: (text: string) => Promise<void>,
  signal: AbortSignal,
): Promise<string | undefined> {
  let until = filter.until;
  let previous = new Set<string>();
  while (!signal.aborted) {
    const page: Filter = { ...filter, limit: PAGE_EVENTS };
    if (since !== undefined) page.since = since;
    if (until !== undefined) page.until = until;
    const { texts, ended } = await requestStored(remote, page);
    const seen = new Set<string>();
    let oldest = Number.POSITIVE_INFINITY;
    let fresh = 0;
    for (const text of texts) {
      const id = /"id"\s*:\s*"([0-9a-f]{64})"/.exec(text)?.[1] ?? text;
      const at = Number(/"created_at"\s*:\s*(\d+)/.exec(text)?.[1] ?? Number.NaN);
      seen.add(id);
      if (at < oldest) oldest = at;
      if (previous.has(id)) continue;
      fresh++;
      await take(text);
    }
    if (ended !== undefined) return ended;
    if (fresh === 0 || !Number.isFinite(oldest)) return undefined;
    // The oldest second again: a relay's page may have cut it in the middle.
    until = oldest;
    previous = seen;
  }
  return undefined;
}
