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

/**
 * The answer to one submit, published on the submitting gateway's reply channel and matched
 * to the pending submit by `ref`. `shared` marks an outcome of another submission of the same
 * event id (see the ingest client): when it is a refusal, the waiter submits its own copy.
 */
export interface IngestReply extends IngestResult {
  v: 1;
  /** The event id. */
  id: string;
  /** The per-submit random id the gateway chose. */
  ref: string;
  shared?: true;
}

/** Encodes an ingest reply as one JSON object. */
export function encodeReply(reply: IngestReply): string {
  return JSON.stringify(reply);
}

/** Decodes an ingest reply; throws `WireFormatError` if malformed or of an unknown version. */
export function decodeReply(payload: string): IngestReply {
  const obj = parseObject(payload, 'ingest reply');
  checkVersion(obj, 'ingest reply');
  const { id, ref, ok, reason, shared } = obj;
  if (
    typeof id !== 'string' ||
    typeof ref !== 'string' ||
    typeof ok !== 'boolean' ||
    typeof reason !== 'string'
  ) {
    throw new WireFormatError('ingest reply needs string id, ref, reason and boolean ok');
  }
  if (shared !== undefined && shared !== true)
    throw new WireFormatError('ingest reply: "shared" must be true');
  return shared ? { v: 1, id, ref, ok, reason, shared } : { v: 1, id, ref, ok, reason };
}

// ---- job data ---------------------------------------------------------------------------

/** The data of one BullMQ ingest job: one event as the gateway received it. */
export interface IngestJobData {
  v: 1;
  /** The event id (also the job id, except for a waiter's own resubmission). */
  id: string;
  /** The event's original JSON text, already validated by the gateway's parser. */
  raw: string;
  gatewayId: string;
  connectionId: string;
  /** The per-submit random id the reply is matched by. */
  ref: string;
  /** Milliseconds since the epoch when the gateway received the frame. */
  receivedAt: number;
  authedPubkeys: string[];
  trace?: TraceCarrier;
}

/** Builds the job data of a submit. */
export function toJobData(request: IngestRequest, ref: string): IngestJobData {
  const data: IngestJobData = {
    v: 1,
    id: request.event.event.id,
    raw: request.event.raw,
    gatewayId: request.gatewayId,
    connectionId: request.connectionId,
    ref,
    receivedAt: request.receivedAt,
    authedPubkeys: [...request.authedPubkeys],
  };
  if (request.trace) data.trace = request.trace;
  return data;
}

/** Checks job data read back from Redis; throws `WireFormatError` if malformed. */
export function decodeJobData(data: unknown): IngestJobData {
  if (!isObject(data)) throw new WireFormatError('ingest job data must be an object');
  checkVersion(data, 'ingest job data');
  const { id, raw, gatewayId, connectionId, ref, receivedAt, authedPubkeys, trace } = data;
  if (
    typeof id !== 'string' ||
    typeof raw !== 'string' ||
    typeof gatewayId !== 'string' ||
    typeof connectionId !== 'string' ||
    typeof ref !== 'string' ||
    typeof receivedAt !== 'number' ||
    !Array.isArray(authedPubkeys) ||
    !authedPubkeys.every((p) => typeof p === 'string')
  ) {
    throw new WireFormatError('ingest job data has missing or mistyped fields');
  }
  const out: IngestJobData = { v: 1, id, raw, gatewayId, connectionId, ref, receivedAt, authedPubkeys };
  if (trace !== undefined) out.trace = checkTrace(trace, 'ingest job data');
  return out;
}

/**
 * Rebuilds the IngestRequest of a job, parsing the event text once. The ingest pipeline still
 * verifies id and signature; this only refuses text that is not an event-shaped object.
 */
export function requestFromJobData(data: IngestJobData): IngestRequest {
  const event = parseObject(data.raw, 'ingest job event');
  if (!looksLikeEvent(event)) throw new WireFormatError('ingest job event lacks id, pubkey, kind or tags');
  if (event.id !== data.id) throw new WireFormatError('ingest job event id differs from the job data id');
  const request: IngestRequest = {
    v: 1,
    event: { event, raw: data.raw },
    receivedAt: data.receivedAt,
    gatewayId: data.gatewayId,
    connectionId: data.connectionId,
    authedPubkeys: data.authedPubkeys,
  };
  if (data.trace) request.trace = data.trace;
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
