/**
 * Stable error codes for everything the protocol layer rejects. Each code maps to one NIP-01
 * reason prefix; the docs print `ERROR_CODES` as the table of codes.
 */
import type { ClientVerb } from './types.js';

/** Stable, machine-readable code of a protocol rejection. Never renamed once shipped. */
export type ErrorCode =
  | 'E_JSON'
  | 'E_NOT_ARRAY'
  | 'E_UNKNOWN_VERB'
  | 'E_ARITY'
  | 'E_SUBID'
  | 'E_FILTER'
  | 'E_TOO_MANY_FILTERS'
  | 'E_SEARCH_TOO_LONG'
  | 'E_QUERY_TOO_COMPLEX'
  | 'E_EVENT_SHAPE'
  | 'E_EVENT_FIELD'
  | 'E_TOO_MANY_TAGS'
  | 'E_TAG_TOO_LONG'
  | 'E_CONTENT_TOO_LONG'
  | 'E_FRAME_TOO_LARGE'
  | 'E_BAD_ID'
  | 'E_BAD_SIG'
  | 'E_NEG_MESSAGE';

/** One-line description of every error code, in the order the docs list them. */
export const ERROR_CODES: Readonly<Record<ErrorCode, string>> = {
  E_JSON: 'The frame is not valid JSON.',
  E_NOT_ARRAY: 'The frame is valid JSON but not a non-empty array.',
  E_UNKNOWN_VERB:
    'The first element is not one of EVENT, REQ, COUNT, CLOSE, AUTH, NEG-OPEN, NEG-MSG, NEG-CLOSE.',
  E_ARITY: 'Wrong number of elements for the verb (EVENT/AUTH/CLOSE: 2; REQ/COUNT: 3 or more).',
  E_SUBID: 'The subscription id is not a string, is empty, or is longer than the limit (max 64).',
  E_FILTER: 'A filter is not an object, has an unknown key, or a field of the wrong type.',
  E_TOO_MANY_FILTERS: 'A REQ or COUNT carries more filters than the relay allows.',
  E_SEARCH_TOO_LONG:
    'A NIP-50 search is longer, or has more terms, than the relay allows (MAX_SEARCH_LENGTH, MAX_SEARCH_TERMS).',
  E_QUERY_TOO_COMPLEX:
    'The database refused the query as too complex for its own limits (SQLSTATE class 54 or 22); retrying cannot help.',
  E_EVENT_SHAPE:
    'The event is not an object, lacks a field, names a field twice, or has a field NIP-01 does not define.',
  E_EVENT_FIELD: 'An event field has the wrong type or format (hex length, integer range, tag shape).',
  E_TOO_MANY_TAGS: 'The event has more tags than the relay allows.',
  E_TAG_TOO_LONG: 'A tag element is longer than the relay allows.',
  E_CONTENT_TOO_LONG: 'The event content is longer than the relay allows.',
  E_FRAME_TOO_LARGE: 'The frame is larger than the relay accepts; it was not parsed.',
  E_BAD_ID: 'The event id is not the sha256 of its canonical serialization.',
  E_BAD_SIG: 'The Schnorr signature does not verify against the id and pubkey.',
  E_NEG_MESSAGE:
    'A NIP-77 message is not even-length hex, or is not a negentropy V1 message (NEG-OPEN, NEG-MSG → NEG-ERR).',
};

/**
 * A rejected client message. `reason` is the full NIP-01 text with its prefix. `subId` is set
 * when the relay should answer CLOSED, `eventId` when it should answer OK false; with neither
 * the relay answers NOTICE.
 */
export interface ProtocolError {
  code: ErrorCode;
  reason: string;
  verb?: ClientVerb;
  subId?: string;
  eventId?: string;
}

/** True when `value` is a `ProtocolError` rather than a validated value. */
export function isProtocolError(value: unknown): value is ProtocolError {
  return typeof value === 'object' && value !== null && 'code' in value && 'reason' in value;
}

/** Builds an `invalid:` protocol error; every parse and validation failure uses this prefix. */
export function invalid(code: ErrorCode, message: string): ProtocolError {
  return { code, reason: 'invalid: ' + message };
}
