import { type ReceivedEvent, RelaySocket } from './client.js';

/** What one REQ returned before EOSE. */
export interface QueryAnswer {
  /** Stored events received; empty unless `keepEvents`. */
  events: ReceivedEvent[];
  /** Number of stored events received. */
  count: number;
  /** REQ sent → EOSE (or CLOSED) received, ms. */
  ms: number;
  /** First stored EVENT after the REQ, ms; undefined when none came. */
  firstEventMs: number | undefined;
  /** Set when the relay answered CLOSED instead of EOSE. */
  closedReason?: string;
  timedOut: boolean;
}

let subCounter = 0;

/** A subscription id unique in this process. */
export function nextSubId(prefix = 'b'): string {
  return `${prefix}${(subCounter++).toString(36)}`;
}

/**
 * Sends one REQ on `socket`, collects stored events until EOSE (or CLOSED, or `timeoutMs`), then
 * CLOSEs the subscription. With `keepEvents` false only the count is kept, and EVENT frames
 * are counted without being parsed.
 * Replaces the socket's handlers for the duration.
 */
export function queryOnce(
  socket: RelaySocket,
  filters: readonly object[],
  timeoutMs: number,
  keepEvents = true,
): Promise<QueryAnswer> {
  const subId = nextSubId('q');
  return new Promise((resolve) => {
    const events: ReceivedEvent[] = [];
    let count = 0;
    let firstEventMs: number | undefined;
    const t0 = performance.now();
    const finish = (at: number, timedOut: boolean, closedReason?: string): void => {
      clearTimeout(timer);
      socket.handlers = {};
      if (closedReason === undefined && socket.open) socket.closeSub(subId);
      const answer: QueryAnswer = { events, count, ms: at - t0, firstEventMs, timedOut };
      if (closedReason !== undefined) answer.closedReason = closedReason;
      resolve(answer);
    };
    const timer = setTimeout(() => finish(performance.now(), true), timeoutMs);
    const counted = (id: string, at: number): boolean => {
      if (id !== subId) return false;
      if (firstEventMs === undefined) firstEventMs = at - t0;
      count++;
      return true;
    };
    socket.handlers = {
      // Only counting: EVENT frames are not parsed (a JSON.parse per stored event cost this
      // client about as much CPU as the relay spent answering, on the same cores).
      ...(keepEvents
        ? { event: (id: string, e: ReceivedEvent, at: number) => counted(id, at) && events.push(e) }
        : { eventId: (id: string, _eventId: string, at: number) => counted(id, at) }),
      eose: (id, at) => {
        if (id === subId) finish(at, false);
      },
      closed: (id, reason, at) => {
        if (id === subId) finish(at, false, reason);
      },
    };
    socket.req(subId, filters);
  });
}

/** Opens a connection, runs one query and closes it. */
export async function queryUrl(
  url: string,
  filters: readonly object[],
  timeoutMs: number,
): Promise<QueryAnswer> {
  const socket = await RelaySocket.connect(url);
  try {
    return await queryOnce(socket, filters, timeoutMs);
  } finally {
    await socket.close();
  }
}
