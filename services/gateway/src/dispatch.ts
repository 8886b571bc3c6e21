import {
  type ClientMessage,
  closedFrame,
  extractEventId,
  type Filter,
  noticeFrame,
  okFrame,
  type ProtocolError,
  parseClientMessage,
} from '@nrelay/protocol';
import { relayTracer } from '@nrelay/telemetry';
import type { Connection } from './connection.js';
import type { GatewayContext } from './context.js';
import { handleAuth } from './handlers/auth.js';
import { dropSubscription, handleClose } from './handlers/close.js';
import { handleCount } from './handlers/count.js';
import { handleEvent } from './handlers/event.js';
import { answerNegParseError, handleNegClose, handleNegMsg, handleNegOpen } from './handlers/neg.js';
import { handleReq } from './handlers/req.js';
import { traceClientMessage } from './telemetry.js';

/** Handles one WebSocket message of a connection; never throws and never closes the connection. */
export type Dispatcher = (conn: Connection, data: Buffer, isBinary: boolean) => void;

/**
 * Answers a frame that could not be parsed in NIP-01 form: `OK false` when an event id is
 * known, `CLOSED` when a subscription id is (`NEG-ERR` for a NIP-77 verb), else `NOTICE`. A
 * malformed REQ (NEG-*) also ends an open subscription (session) with that id, so the client's
 * view and ours agree.
 */
export function answerParseError(ctx: GatewayContext, conn: Connection, error: ProtocolError): void {
  if (error.eventId !== undefined) {
    conn.send('OK', okFrame(error.eventId, false, error.reason));
  } else if (error.subId !== undefined && error.verb?.startsWith('NEG-')) {
    answerNegParseError(conn, error.subId, error.reason);
  } else if (error.subId !== undefined) {
    if (error.verb === 'REQ') dropSubscription(ctx, conn, error.subId);
    conn.send('CLOSED', closedFrame(error.subId, error.reason));
  } else {
    conn.send('NOTICE', noticeFrame(error.reason));
  }
}

const LOOKS_LIKE_EVENT = /^\s*\[\s*"EVENT"\s*,/;

/** Answers a frame above MAX_MESSAGE_BYTES (but within the hard frame cap) without parsing it. */
function answerTooLarge(conn: Connection, frame: string, max: number): void {
  const reason = `invalid: message too large (max ${max} bytes)`;
  const eventId = LOOKS_LIKE_EVENT.test(frame) ? extractEventId(frame) : undefined;
  if (eventId !== undefined) conn.send('OK', okFrame(eventId, false, reason));
  else conn.send('NOTICE', noticeFrame(reason));
}

/**
 * The thin dispatcher: size check, parse (limits from config), then one handler per verb.
 * Built once per gateway; per message it allocates nothing beyond what parsing needs.
 */
export function createDispatcher(ctx: GatewayContext): Dispatcher {
  const maxMessage = ctx.config.MAX_MESSAGE_BYTES;
  const counters = ctx.counters.messagesIn;
  // Asked once: with tracing off a message costs one comparison more, no span.
  const tracer = relayTracer();
  return function dispatch(conn, data, isBinary) {
    if (isBinary) {
      counters.binary++;
      conn.send('NOTICE', noticeFrame('invalid: binary frames are not supported, send JSON text'));
      return;
    }
    const frame = data.toString('utf8');
    if (data.length > maxMessage) {
      counters['too-large']++;
      answerTooLarge(conn, frame, maxMessage);
      return;
    }
    const parsed = parseClientMessage(frame, ctx.parseLimits);
    if (!parsed.ok) {
      counters.invalid++;
      answerParseError(ctx, conn, parsed.error);
      return;
    }
    const message = parsed.message;
    counters[message[0]]++;
    if (tracer === undefined) route(conn, message);
    else traceClientMessage(tracer, conn, message, route);
  };

  /** One handler per verb; a handler that throws is answered with a NOTICE and logged. */
  function route(conn: Connection, message: ClientMessage): void {
    try {
      switch (message[0]) {
        case 'EVENT':
          handleEvent(ctx, conn, message[1], Date.now());
          break;
        case 'REQ':
          handleReq(ctx, conn, message[1], message.slice(2) as Filter[]);
          break;
        case 'CLOSE':
          handleClose(ctx, conn, message[1]);
          break;
        case 'COUNT':
          handleCount(ctx, conn, message[1], message.slice(2) as Filter[]);
          break;
        case 'AUTH':
          handleAuth(ctx, conn, message[1]);
          break;
        case 'NEG-OPEN':
          handleNegOpen(ctx, conn, message[1], message[2], message[3]);
          break;
        case 'NEG-MSG':
          handleNegMsg(ctx, conn, message[1], message[2]);
          break;
        case 'NEG-CLOSE':
          handleNegClose(conn, message[1]);
          break;
      }
    } catch (err) {
      // A handler bug (or a throwing hook) must not kill the connection: answer and log.
      conn.logger.error({ err, verb: message[0] }, 'handler failed');
      conn.send('NOTICE', noticeFrame('error: internal error while handling the message'));
    }
  }
}
