/** The ingest seam's wire formats on Redis: BullMQ job data and the replies (see ../wire.ts). */
import {
  checkTrace,
  checkVersion,
  isObject,
  looksLikeEvent,
  parseObject,
  type TraceCarrier,
  WireFormatError,
} from '../wire.js';
import type { IngestRequest, IngestResult } from './seam.js';

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
  /** `IngestRequest.relayUrl`, for a NIP-62 request to vanish. */
  relayUrl?: string;
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
  if (request.relayUrl !== undefined) entry.relayUrl = request.relayUrl;
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
  const { ref, raw, connectionId, receivedAt, authedPubkeys, trace, relayUrl } = value;
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
  if (typeof relayUrl === 'string') out.relayUrl = relayUrl;
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
  if (entry.relayUrl !== undefined) request.relayUrl = entry.relayUrl;
  return request;
}
