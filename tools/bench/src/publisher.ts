import { type RelaySocket, reasonPrefix } from './client.js';
import type { SignedEvent } from './events.js';
import { SampleBuffer } from './stats.js';

/** How a batch of EVENTs was answered. */
export interface PublishOutcome {
  sent: number;
  /** OK true, including `duplicate:` answers. */
  accepted: number;
  /** OK true whose reason starts with `duplicate:`. */
  duplicates: number;
  /** OK false, counted by reason prefix. */
  rejected: Map<string, number>;
  /** EVENTs without an OK when the publisher gave up waiting. */
  unanswered: number;
  /** OKs for ids that were not (or no longer) in flight. */
  strayOks: number;
  /** EVENT → OK round trips, ms. */
  latencies: SampleBuffer;
  /** First send to last OK, ms. */
  wallMs: number;
  /** First send to last send, ms. */
  sendMs: number;
  /** Ids answered OK true. */
  acceptedIds: Set<string>;
}

/** Settings of {@link publishPipelined}. */
export interface PublishOptions {
  /** One publisher per socket. */
  sockets: readonly RelaySocket[];
  events: readonly SignedEvent[];
  /** EVENTs each socket keeps unanswered at most. */
  inflight: number;
  /** `performance.now()` after which no new EVENT is sent. */
  deadline: number;
  /** How long to wait for outstanding OKs once sending stopped, ms. */
  drainMs: number;
  /** Called with the number of answered EVENTs, often. */
  onProgress?: (answered: number) => void;
  /** Keep the accepted ids (the fan-out scenario needs them). */
  keepIds?: boolean;
}

const POLL_MS = 25;

/** A publish outcome before anything was sent. */
function emptyOutcome(): PublishOutcome {
  return {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: new Map(),
    unanswered: 0,
    strayOks: 0,
    latencies: new SampleBuffer(),
    wallMs: 0,
    sendMs: 0,
    acceptedIds: new Set(),
  };
}

/**
 * Publishes `events` over every socket, each socket keeping at most `inflight` EVENTs
 * unanswered and taking the next event from a shared queue when an OK arrives. Stops when
 * everything is answered, or `drainMs` after sending stopped (all sent, deadline passed or every
 * socket closed), whichever comes first. Replaces the sockets' handlers.
 */
export function publishPipelined(opts: PublishOptions): Promise<PublishOutcome> {
  const out = emptyOutcome();
  const sentAt = new Map<string, number>();
  let next = 0;
  let answered = 0;
  let firstSend = 0;
  let lastSend = 0;
  let lastOk = 0;
  let stoppedSendingAt: number | undefined;

  const sendOne = (s: RelaySocket): boolean => {
    if (next >= opts.events.length || !s.open || performance.now() >= opts.deadline) return false;
    const e = opts.events[next++] as SignedEvent;
    const now = performance.now();
    if (out.sent === 0) firstSend = now;
    sentAt.set(e.id, now);
    lastSend = now;
    s.publish(e.raw);
    out.sent++;
    return true;
  };

  return new Promise((resolve) => {
    for (const s of opts.sockets) {
      s.handlers = {
        ok: (id, ok, reason, at) => {
          const t0 = sentAt.get(id);
          if (t0 === undefined) {
            out.strayOks++;
            return;
          }
          sentAt.delete(id);
          answered++;
          lastOk = at;
          out.latencies.push(at - t0);
          if (ok) {
            out.accepted++;
            if (reason.startsWith('duplicate:')) out.duplicates++;
            if (opts.keepIds) out.acceptedIds.add(id);
          } else {
            const p = reasonPrefix(reason);
            out.rejected.set(p, (out.rejected.get(p) ?? 0) + 1);
          }
          sendOne(s);
        },
      };
      for (let i = 0; i < opts.inflight && sendOne(s); i++);
    }
    const timer = setInterval(() => {
      opts.onProgress?.(answered);
      const now = performance.now();
      const canSend = next < opts.events.length && now < opts.deadline && opts.sockets.some((s) => s.open);
      if (!canSend && stoppedSendingAt === undefined) stoppedSendingAt = now;
      const settled = sentAt.size === 0 && !canSend;
      const gaveUp = stoppedSendingAt !== undefined && now - stoppedSendingAt >= opts.drainMs;
      if (!settled && !gaveUp) return;
      clearInterval(timer);
      out.unanswered = sentAt.size;
      out.wallMs = out.sent === 0 ? 0 : Math.max(lastOk, firstSend) - firstSend;
      out.sendMs = lastSend - firstSend;
      opts.onProgress?.(answered);
      resolve(out);
    }, POLL_MS);
  });
}

/** `OK false <prefix>` figures for every rejection reason seen. */
export function rejectionFigures(
  rejected: Map<string, number>,
): Array<{ figure: string; value: number; unit: string }> {
  return [...rejected.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([prefix, n]) => ({ figure: `OK false ${prefix}`, value: n, unit: 'events' }));
}

const PACE_TICK_MS = 5;
const PACE_DRAIN_MS = 10_000;

/**
 * Publishes `events` on one socket at `rate` per second (no in-flight cap: a paced publisher
 * must not slow down when the relay does), recording each send time in `sentAt` (kept after
 * the OK, for delivery delays). Sending stops after `maxMs`; OKs are awaited for 10 s more.
 */
export function publishPaced(
  socket: RelaySocket,
  events: readonly SignedEvent[],
  rate: number,
  maxMs: number,
  sentAt: Map<string, number>,
  onProgress: (sent: number) => void = () => {},
): Promise<PublishOutcome> {
  const out = emptyOutcome();
  const waiting = new Set<string>();
  let lastOk = 0;
  socket.handlers = {
    ok: (id, ok, reason, at) => {
      if (!waiting.delete(id)) {
        out.strayOks++;
        return;
      }
      lastOk = at;
      out.latencies.push(at - (sentAt.get(id) as number));
      if (ok) {
        out.accepted++;
        out.acceptedIds.add(id);
        if (reason.startsWith('duplicate:')) out.duplicates++;
      } else {
        const p = reasonPrefix(reason);
        out.rejected.set(p, (out.rejected.get(p) ?? 0) + 1);
      }
    },
  };
  const t0 = performance.now();
  let stoppedAt: number | undefined;
  let lastSend = t0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = performance.now();
      if (stoppedAt === undefined) {
        const due = Math.min(events.length, Math.floor(((now - t0) * rate) / 1000) + 1);
        while (out.sent < due && socket.open) {
          const e = events[out.sent++] as SignedEvent;
          lastSend = performance.now();
          sentAt.set(e.id, lastSend);
          waiting.add(e.id);
          socket.publish(e.raw);
        }
        onProgress(out.sent);
        if (out.sent >= events.length || now - t0 >= maxMs || !socket.open) stoppedAt = now;
      }
      if (stoppedAt === undefined || (waiting.size > 0 && now - stoppedAt < PACE_DRAIN_MS)) return;
      clearInterval(timer);
      out.unanswered = waiting.size;
      out.wallMs = Math.max(lastOk, stoppedAt) - t0;
      out.sendMs = lastSend - t0;
      resolve(out);
    }, PACE_TICK_MS);
  });
}
