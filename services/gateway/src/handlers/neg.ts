import {
  type Filter,
  ITEM_RECORD_BYTES,
  NegentropyError,
  NegentropyItems,
  negErrFrame,
  negMsgFrame,
  reconcile,
} from '@nrelay/protocol';
import { InvalidQueryError } from '@nrelay/seams/query';
import type { Connection } from '../connection.js';
import type { GatewayContext } from '../context.js';
import { applyFilterHooks } from '../filter-hooks.js';
import { type NegSession, negSessionsOf } from '../neg-sessions.js';
import { QuerySlotTimeout } from '../query-slots.js';
import { challengeIfAuthRequired } from './event.js';

/**
 * NIP-77 negentropy sync, the relay's side (ADR 0019). NEG-OPEN runs the REQ filter hooks
 * (access, auth, rate limits), loads the filter's item set for this viewer from the query
 * service in a query slot (never capped by MAX_LIMIT; NEG_MAX_RECORDS bounds the items one
 * connection holds) and answers the first message; NEG-MSG answers the next one from the
 * set held here; NEG-CLOSE, a replacing NEG-OPEN, NEG_IDLE_TIMEOUT_MS or the socket's close
 * end the session and free its set. Every failure is a NEG-ERR, which ends the session.
 */
export function handleNegOpen(
  ctx: GatewayContext,
  conn: Connection,
  subId: string,
  filter: Filter,
  hex: string,
): void {
  if (!ctx.config.NEG_ENABLED) {
    conn.send('NEG-ERR', negErrFrame(subId, 'blocked: negentropy sync (NIP-77) is disabled on this relay'));
    return;
  }
  const sessions = negSessionsOf(conn, true)!;
  // A NEG-OPEN on an open id replaces that session, which therefore does not count.
  sessions.end(subId);
  const max = ctx.config.MAX_SUBSCRIPTIONS;
  if (conn.idsInUse >= max) {
    conn.send('NEG-ERR', negErrFrame(subId, `restricted: too many subscriptions (max ${max})`));
    return;
  }
  const session = sessions.open(subId);
  void openSession(ctx, conn, session, filter, hex).catch((err: unknown) => {
    if (session.closed) return;
    conn.logger.error({ err, subId }, 'NEG-OPEN failed');
    fail(conn, session, 'error: internal error');
  });
}

async function openSession(
  ctx: GatewayContext,
  conn: Connection,
  session: NegSession,
  filter: Filter,
  hex: string,
): Promise<void> {
  const verdict = applyFilterHooks(ctx, conn, [filter]);
  const rejection = typeof verdict === 'object' ? await verdict : verdict;
  if (session.closed) return;
  if (rejection !== undefined) {
    challengeIfAuthRequired(conn, rejection);
    return fail(conn, session, rejection);
  }
  // NEG_MAX_RECORDS bounds the items all sessions of the connection hold together.
  const budget = ctx.config.NEG_MAX_RECORDS - (negSessionsOf(conn, false)?.heldItems ?? 0);
  if (budget <= 0) return fail(conn, session, 'blocked: too many query results');
  let packed: Uint8Array;
  try {
    packed = await loadItems(ctx, conn, session, filter, budget + 1);
  } catch (err) {
    if (session.closed) return;
    return fail(conn, session, itemsFailure(conn, session, err));
  }
  if (session.closed) return;
  if (packed.length / ITEM_RECORD_BYTES > budget)
    return fail(conn, session, 'blocked: too many query results');
  session.items = new NegentropyItems(packed);
  answer(ctx, conn, session, hex);
}

/** The item set, read in a slot of the connection's share of the query pool (like COUNT). */
async function loadItems(
  ctx: GatewayContext,
  conn: Connection,
  session: NegSession,
  filter: Filter,
  limit: number,
): Promise<Uint8Array> {
  const release = await ctx.slots.acquire(conn, session.signal);
  try {
    const viewer = { authedPubkeys: [...conn.authedPubkeys] };
    return await ctx.query.items({ v: 1, filter, viewer, limit }, session.signal);
  } finally {
    release();
  }
}

function itemsFailure(conn: Connection, session: NegSession, err: unknown): string {
  if (err instanceof QuerySlotTimeout) return `error: relay busy: ${err.message}, try again later`;
  if (err instanceof InvalidQueryError) return `invalid: ${err.message}`;
  conn.logger.warn({ err, subId: session.subId }, 'negentropy item set failed');
  return 'error: could not read the events to sync, try again later';
}

/** NEG-MSG: the next round of an open session. */
export function handleNegMsg(ctx: GatewayContext, conn: Connection, subId: string, hex: string): void {
  const session = negSessionsOf(conn, false)?.get(subId);
  if (session === undefined) {
    conn.send('NEG-ERR', negErrFrame(subId, 'closed: no open negentropy session with this id'));
    return;
  }
  if (session.items === undefined) {
    fail(conn, session, 'invalid: NEG-MSG sent before the answer to NEG-OPEN');
    return;
  }
  answer(ctx, conn, session, hex);
}

/** NEG-CLOSE: ends the session silently (NIP-77 defines no answer); an unknown id is ignored. */
export function handleNegClose(conn: Connection, subId: string): void {
  negSessionsOf(conn, false)?.end(subId);
}

/**
 * Answers a NEG-ERR for a message that could not be parsed (bad hex, bad filter): the session
 * with that id, if any, ends, as every NEG-ERR ends one.
 */
export function answerNegParseError(conn: Connection, subId: string, reason: string): void {
  negSessionsOf(conn, false)?.end(subId);
  conn.send('NEG-ERR', negErrFrame(subId, reason));
}

function answer(ctx: GatewayContext, conn: Connection, session: NegSession, hex: string): void {
  let reply: Uint8Array;
  try {
    reply = reconcile(session.items!, Buffer.from(hex, 'hex'), ctx.config.NEG_FRAME_BYTES);
  } catch (err) {
    if (!(err instanceof NegentropyError)) throw err;
    fail(conn, session, `invalid: bad negentropy message: ${err.message}`);
    return;
  }
  conn.send('NEG-MSG', negMsgFrame(session.subId, Buffer.from(reply).toString('hex')));
  session.arm(ctx.config.NEG_IDLE_TIMEOUT_MS, (idle) => {
    if (negSessionsOf(conn, false)?.get(idle.subId) !== idle) return;
    fail(conn, idle, 'closed: idle timeout');
  });
}

/** Sends NEG-ERR and ends the session (NIP-77: the relay's NEG-ERR closes it). */
function fail(conn: Connection, session: NegSession, reason: string): void {
  const sessions = negSessionsOf(conn, false);
  if (sessions?.get(session.subId) === session) sessions.end(session.subId);
  conn.send('NEG-ERR', negErrFrame(session.subId, reason));
}
