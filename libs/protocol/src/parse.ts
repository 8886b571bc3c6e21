/**
 * The one parser from a raw client text frame to a typed `ClientMessage`: JSON.parse once, then
 * hand-written checks. Errors carry the context the relay needs to pick OK, CLOSED or NOTICE.
 */
import { invalid, isProtocolError, type ProtocolError } from './errors.js';
import { DEFAULT_PARSE_LIMITS, MAX_SUBID_LENGTH, type ParseLimits } from './limits.js';
import { countObjectMembers } from './members.js';
import { parseNegMessage } from './neg-messages.js';
import { checkSearch } from './search.js';
import type { ClientMessage, ClientReq, ClientVerb, RawEvent } from './types.js';
import { clip, isHex64, validateEvent, validateFilter } from './validate.js';

/** Outcome of `parseClientMessage`: a typed message, or a protocol error with answer context. */
export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: ProtocolError };

const EVENT_ID_IN_FRAME = /"id"\s*:\s*"([0-9a-f]{64})"/;
/** NIP-01's seven event fields, which `validateEvent` requires, each once. */
const EVENT_FIELD_COUNT = 7;

/**
 * Parses and validates one client frame. EVENT and AUTH messages carry the event's exact source
 * text as `raw`. REQ and COUNT need at least one filter: `["REQ","sub"]` is an `E_ARITY` error.
 * Does not check event ids or signatures (see `verifyEvent`).
 */
export function parseClientMessage(frame: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(frame);
  } catch {
    return fail(invalid('E_JSON', 'malformed JSON'));
  }
  if (!Array.isArray(data) || data.length === 0) {
    return fail(invalid('E_NOT_ARRAY', 'message must be a non-empty JSON array'));
  }
  const verb: unknown = data[0];
  switch (verb) {
    case 'EVENT':
    case 'AUTH':
      return parseEventMessage(verb, data, frame, limits);
    case 'REQ':
    case 'COUNT':
      return parseFilterMessage(verb, data, limits);
    case 'CLOSE':
      return parseClose(data, limits);
    case 'NEG-OPEN':
    case 'NEG-MSG':
    case 'NEG-CLOSE':
      return parseNeg(verb, data, limits);
    default:
      return fail(
        invalid(
          'E_UNKNOWN_VERB',
          typeof verb === 'string' ? `unknown message type "${clip(verb)}"` : 'message type must be a string',
        ),
      );
  }
}

function parseEventMessage(
  verb: 'EVENT' | 'AUTH',
  data: unknown[],
  frame: string,
  limits: ParseLimits,
): ParseResult {
  if (data.length !== 2) {
    const error = invalid('E_ARITY', `${verb} takes exactly one event`);
    const id = (data[1] as { id?: unknown } | null | undefined)?.id;
    return fail(error, verb, undefined, isHex64(id) ? id : undefined);
  }
  const event = validateEvent(data[1], limits);
  if (isProtocolError(event)) return fail(event, verb, undefined, event.eventId);
  // The event is the last element and the verb cannot contain braces, so the first `{` and the
  // last `}` of the frame delimit exactly the event's source text.
  const text = frame.slice(frame.indexOf('{'), frame.lastIndexOf('}') + 1);
  // JSON.parse keeps the last of two equal keys: `event` has the seven fields, so a source text
  // with more members names one twice, and what we would store is not what was checked.
  if (countObjectMembers(text) !== EVENT_FIELD_COUNT) {
    return fail(invalid('E_EVENT_SHAPE', 'event names a field more than once'), verb, undefined, event.id);
  }
  const raw: RawEvent = { event, raw: text };
  return { ok: true, message: verb === 'EVENT' ? ['EVENT', raw] : ['AUTH', raw] };
}

function parseFilterMessage(verb: 'REQ' | 'COUNT', data: unknown[], limits: ParseLimits): ParseResult {
  if (data.length < 2) {
    return fail(invalid('E_ARITY', `${verb} needs a subscription id and at least one filter`), verb);
  }
  const subId = data[1];
  const subIdError = checkSubId(subId, limits);
  if (subIdError !== undefined) return fail(subIdError, verb);
  const sub = subId as string;
  if (data.length < 3) return fail(invalid('E_ARITY', `${verb} needs at least one filter`), verb, sub);
  const count = data.length - 2;
  if (count > limits.maxFilters) {
    return fail(
      invalid('E_TOO_MANY_FILTERS', `too many filters (${count} > ${limits.maxFilters})`),
      verb,
      sub,
    );
  }
  for (let i = 2; i < data.length; i++) {
    const filter = validateFilter(data[i]);
    if (isProtocolError(filter)) return fail(filter, verb, sub);
    // Bounded before any query runs: a long search is costly in the database (search.ts).
    const search = filter.search === undefined ? undefined : checkSearch(filter.search, limits);
    if (search !== undefined) return fail(search, verb, sub);
  }
  // Every element is validated in place, so the parsed array is the typed message.
  return { ok: true, message: data as ClientReq };
}

function parseClose(data: unknown[], limits: ParseLimits): ParseResult {
  const subId = data[1];
  const subIdError = data.length < 2 ? undefined : checkSubId(subId, limits);
  if (data.length !== 2) {
    const usable = subIdError === undefined && typeof subId === 'string' ? subId : undefined;
    return fail(invalid('E_ARITY', 'CLOSE takes exactly one subscription id'), 'CLOSE', usable);
  }
  if (subIdError !== undefined) return fail(subIdError, 'CLOSE');
  return { ok: true, message: ['CLOSE', subId as string] };
}

/** NIP-77 verbs: the session id is checked as a subscription id, the rest in neg-messages.ts. */
function parseNeg(
  verb: 'NEG-OPEN' | 'NEG-MSG' | 'NEG-CLOSE',
  data: unknown[],
  limits: ParseLimits,
): ParseResult {
  const subIdError = checkSubId(data[1], limits);
  if (subIdError !== undefined) return fail(subIdError, verb);
  const parsed = parseNegMessage(verb, data, data[1] as string);
  return isProtocolError(parsed) ? fail(parsed, verb, data[1] as string) : { ok: true, message: parsed };
}

function checkSubId(subId: unknown, limits: ParseLimits): ProtocolError | undefined {
  if (typeof subId !== 'string') return invalid('E_SUBID', 'subscription id must be a string');
  if (subId.length === 0) return invalid('E_SUBID', 'subscription id must not be empty');
  const max = Math.min(limits.maxSubIdLength, MAX_SUBID_LENGTH);
  if (subId.length > max) return invalid('E_SUBID', `subscription id longer than ${max} characters`);
  return undefined;
}

function fail(error: ProtocolError, verb?: ClientVerb, subId?: string, eventId?: string): ParseResult {
  if (verb !== undefined) error.verb = verb;
  if (subId !== undefined) error.subId = subId;
  if (eventId !== undefined) error.eventId = eventId;
  return { ok: false, error };
}

/**
 * Finds the first `"id":"<64 lowercase hex>"` in a frame without parsing it, so an oversized
 * EVENT frame can still be answered with OK false. Best effort: the caller decides it is an EVENT.
 */
export function extractEventId(frame: string): string | undefined {
  return EVENT_ID_IN_FRAME.exec(frame)?.[1];
}
