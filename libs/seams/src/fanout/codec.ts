/** The fanout channel's wire format on Redis (see ../wire.ts for the rules every payload follows). */
import { checkTrace, checkVersion, looksLikeEvent, parseObject, WireFormatError } from '../wire.js';
import type { FanoutMessage } from './seam.js';

/**
 * Encodes an accepted event for the fanout channel: a one-line JSON header, a newline, then
 * the event's original JSON text verbatim (never re-encoded as a JSON string). The header is
 * produced by JSON.stringify, so it holds no raw newline and the first "\n" splits the two
 * parts even when the event text itself spans lines.
 */
export function encodeFanout(message: FanoutMessage): string {
  const header: { v: 1; a: number; t?: Record<string, string>; l?: string } = { v: 1, a: message.acceptedAt };
  if (message.trace) header.t = message.trace;
  if (message.lsn !== undefined) header.l = message.lsn;
  return JSON.stringify(header) + '\n' + message.raw;
}

/** Decodes a fanout payload, parsing the event text once; throws `WireFormatError` if malformed. */
export function decodeFanout(payload: string): FanoutMessage {
  const newline = payload.indexOf('\n');
  if (newline === -1) throw new WireFormatError('fanout payload has no header line');
  const header = parseObject(payload.slice(0, newline), 'fanout header');
  checkVersion(header, 'fanout payload');
  const acceptedAt = header.a;
  if (typeof acceptedAt !== 'number' || !Number.isFinite(acceptedAt)) {
    throw new WireFormatError('fanout header: "a" must be a number');
  }
  const raw = payload.slice(newline + 1);
  const event = parseObject(raw, 'fanout event');
  if (!looksLikeEvent(event)) throw new WireFormatError('fanout event lacks id, pubkey, kind or tags');
  const message: FanoutMessage = { v: 1, event, raw, acceptedAt };
  if (header.t !== undefined) message.trace = checkTrace(header.t, 'fanout header');
  // Optional (ADR 0024): a message from an ingest worker without read replicas has none.
  if (header.l !== undefined) {
    if (typeof header.l !== 'string') throw new WireFormatError('fanout header: "l" must be a string');
    message.lsn = header.l;
  }
  return message;
}
