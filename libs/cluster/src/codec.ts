/**
 * The cluster's wire formats on Redis: fanout payloads, ingest replies and BullMQ job data.
 * Each is versioned (`v: 1`); a decoder refuses anything it does not fully understand with a
 * `WireFormatError`, so a rolling upgrade never half-reads a newer message.
 */
import type { FanoutMessage, IngestRequest, IngestResult } from '@nrelay/contracts';
import type { NostrEvent } from '@nrelay/protocol';

/** A payload on a cluster channel or in a job that this version cannot decode. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** W3C trace context carrier (traceparent/tracestate). */
export type TraceCarrier = Record<string, string>;

// ---- fanout -----------------------------------------------------------------------------

/**
 * Encodes an accepted event for the fanout channel: a one-line JSON header, a newline, then
 * the event's original JSON text verbatim (never re-encoded as a JSON string). The header is
 * produced by JSON.stringify, so it holds no raw newline and the first "\n" splits the two
 * parts even when the event text itself spans lines.
 */
export function encodeFanout(message: FanoutMessage): string {
  const header = message.trace
    ? { v: 1, a: message.acceptedAt, t: message.trace }
    : { v: 1, a: message.acceptedAt };
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
  return message;
}

// ---- ingest replies ---------------------------------------------------------------------

/** The answer to one submit, matched to the gateway's pending submit by `ref`. */
export interface IngestReply extends IngestResult {
  /** The per-submit id the gateway chose. */
  ref: string;
}

/**
 * Encodes the answers to one batch job as one message for the submitting gateway's reply
 * channel: `{"v":1,"replies":[{ref,ok,reason},…]}`.
 */
export function encodeReplies(replies: readonly IngestReply[]): string {
  return JSON.stringify({ v: 1, replies });
}

/** Decodes a reply message; throws `WireFormatError` if malformed or of an unknown version. */
export function decodeReplies(payload: string): IngestReply[] {
  const obj = parseObject(payload, 'ingest replies');
  checkVersion(obj, 'ingest replies');
  const { replies } = obj;
  if (!Array.isArray(replies)) throw new WireFormatError('ingest replies: "replies" must be an array');
  return replies.map((reply: unknown) => {
    if (!isObject(reply)) throw new WireFormatError('ingest reply must be an object');
    const { ref, ok, reason } = reply;
    if (typeof ref !== 'string' || typeof ok !== 'boolean' || typeof reason !== 'string') {
      throw new WireFormatError('ingest reply needs string ref, reason and boolean ok');
    }
    return { ref, ok, reason };
  });
}

// ---- job data ---------------------------------------------------------------------------

/** One submit inside an ingest job: an event as the gateway received it. */
export interface IngestJobEntry {
  /** The per-submit id the reply is matched by. */
  ref: string;
  /** The event's original JSON text, already validated by the gateway's parser. */
  raw: string;
  connectionId: string;
  /** Milliseconds since the epoch when the gateway received the frame. */
  receivedAt: number;
  authedPubkeys: string[];
  trace?: TraceCarrier;
}

/**
 * The data of one BullMQ ingest job: the submits one gateway collected in one turn of its event
 * loop (one or many), answered together on that gateway's reply channel.
 */
export interface IngestJobData {
  v: 1;
  gatewayId: string;
  entries: IngestJobEntry[];
}

/** Builds the job entry of a submit. */
export function toJobEntry(request: IngestRequest, ref: string): IngestJobEntry {
  const entry: IngestJobEntry = {
    ref,
    raw: request.event.raw,
    connectionId: request.connectionId,
    receivedAt: request.receivedAt,
    authedPubkeys: [...request.authedPubkeys],
  };
  if (request.trace) entry.trace = request.trace;
  return entry;
}

/** Checks job data read back from Redis; throws `WireFormatError` if malformed. */
export function decodeJobData(data: unknown): IngestJobData {
  if (!isObject(data)) throw new WireFormatError('ingest job data must be an object');
  checkVersion(data, 'ingest job data');
  const { gatewayId, entries } = data;
  if (typeof gatewayId !== 'string' || !Array.isArray(entries)) {
    throw new WireFormatError('ingest job data needs a string gatewayId and an entries array');
  }
  return { v: 1, gatewayId, entries: entries.map(decodeEntry) };
}

function decodeEntry(value: unknown): IngestJobEntry {
  if (!isObject(value)) throw new WireFormatError('ingest job entry must be an object');
  const { ref, raw, connectionId, receivedAt, authedPubkeys, trace } = value;
  if (
    typeof ref !== 'string' ||
    typeof raw !== 'string' ||
    typeof connectionId !== 'string' ||
    typeof receivedAt !== 'number' ||
    !Array.isArray(authedPubkeys) ||
    !authedPubkeys.every((p) => typeof p === 'string')
  ) {
    throw new WireFormatError('ingest job entry has missing or mistyped fields');
  }
  const out: IngestJobEntry = { ref, raw, connectionId, receivedAt, authedPubkeys };
  if (trace !== undefined) out.trace = checkTrace(trace, 'ingest job entry');
  return out;
}

/**
 * Rebuilds the IngestRequest of a job entry, parsing the event text once. The ingest pipeline
 * still verifies id and signature; this only refuses text that is not an event-shaped object.
 */
export function requestFromJobEntry(gatewayId: string, entry: IngestJobEntry): IngestRequest {
  const event = parseObject(entry.raw, 'ingest job event');
  if (!looksLikeEvent(event)) throw new WireFormatError('ingest job event lacks id, pubkey, kind or tags');
  const request: IngestRequest = {
    v: 1,
    event: { event, raw: entry.raw },
    receivedAt: entry.receivedAt,
    gatewayId,
    connectionId: entry.connectionId,
    authedPubkeys: entry.authedPubkeys,
  };
  if (entry.trace) request.trace = entry.trace;
  return request;
}

// ---- helpers ----------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WireFormatError(`${what} is not valid JSON`);
  }
  if (!isObject(value)) throw new WireFormatError(`${what} must be a JSON object`);
  return value;
}

function checkVersion(obj: Record<string, unknown>, what: string): void {
  if (obj.v !== 1) throw new WireFormatError(`${what} has unknown version ${JSON.stringify(obj.v)}`);
}

function checkTrace(value: unknown, what: string): TraceCarrier {
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new WireFormatError(`${what}: trace carrier must be an object of strings`);
  }
  return value as TraceCarrier;
}

function looksLikeEvent(value: Record<string, unknown>): value is Record<string, unknown> & NostrEvent {
  return (
    typeof value.id === 'string' &&
    typeof value.pubkey === 'string' &&
    typeof value.kind === 'number' &&
    Array.isArray(value.tags)
  );
}
