/**
 * Hand-written shape validation of events and filters, run once per frame on the hot path: no
 * schema library, no closures, and validated objects are returned as-is (no copying).
 */
import { invalid, type ProtocolError } from './errors.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import type { Filter, NostrEvent } from './types.js';

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;
const EVENT_FIELDS = ['id', 'pubkey', 'created_at', 'kind', 'tags', 'content', 'sig'] as const;
const MAX_KIND = 65535;
const ECHO_LIMIT = 32;

/** True when `value` is a 64-character lowercase hex string (an event id or a pubkey). */
export function isHex64(value: unknown): value is string {
  return typeof value === 'string' && value.length === 64 && HEX64.test(value);
}

/** True when `value` is an integer kind in NIP-01's range 0..65535. */
export function isKind(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_KIND;
}

/** True when `value` is an integer in 0..2^53-1 (timestamps, limits). */
export function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Shortens client-supplied text before it is echoed back in a reason. */
export function clip(text: string): string {
  return text.length > ECHO_LIMIT ? text.slice(0, ECHO_LIMIT) + '…' : text;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks that `obj` has exactly the seven NIP-01 event fields with valid types and sizes, and
 * returns it typed as a `NostrEvent` (same object). Unknown extra keys are rejected: the id
 * does not cover them, so storing them would relay unsigned data. Does not check id or sig.
 */
export function validateEvent(
  obj: unknown,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): NostrEvent | ProtocolError {
  if (!isObject(obj)) return invalid('E_EVENT_SHAPE', 'event must be a JSON object');
  const error = checkEventKeys(obj) ?? checkEventFields(obj, limits);
  if (error === undefined) return obj as unknown as NostrEvent;
  if (isHex64(obj.id)) error.eventId = obj.id;
  return error;
}

function checkEventKeys(obj: Record<string, unknown>): ProtocolError | undefined {
  let count = 0;
  for (const key in obj) {
    switch (key) {
      case 'id':
      case 'pubkey':
      case 'created_at':
      case 'kind':
      case 'tags':
      case 'content':
      case 'sig':
        count++;
        break;
      default:
        return invalid('E_EVENT_SHAPE', `unexpected event field "${clip(key)}"`);
    }
  }
  if (count === EVENT_FIELDS.length) return undefined;
  for (const field of EVENT_FIELDS) {
    if (!(field in obj)) return invalid('E_EVENT_SHAPE', `missing event field "${field}"`);
  }
  return undefined;
}

function checkEventFields(obj: Record<string, unknown>, limits: ParseLimits): ProtocolError | undefined {
  if (!isHex64(obj.id)) return invalid('E_EVENT_FIELD', 'event id must be 64 lowercase hex characters');
  if (!isHex64(obj.pubkey)) return invalid('E_EVENT_FIELD', 'pubkey must be 64 lowercase hex characters');
  const sig = obj.sig;
  if (typeof sig !== 'string' || sig.length !== 128 || !HEX128.test(sig)) {
    return invalid('E_EVENT_FIELD', 'sig must be 128 lowercase hex characters');
  }
  if (!isKind(obj.kind)) return invalid('E_EVENT_FIELD', 'kind must be an integer between 0 and 65535');
  if (!isNonNegativeSafeInteger(obj.created_at)) {
    return invalid('E_EVENT_FIELD', 'created_at must be a non-negative integer');
  }
  const content = obj.content;
  if (typeof content !== 'string') return invalid('E_EVENT_FIELD', 'content must be a string');
  if (content.length > limits.maxContentLength) {
    return invalid('E_CONTENT_TOO_LONG', `content longer than ${limits.maxContentLength} characters`);
  }
  return checkTags(obj.tags, limits);
}

function checkTags(tags: unknown, limits: ParseLimits): ProtocolError | undefined {
  if (!Array.isArray(tags)) return invalid('E_EVENT_FIELD', 'tags must be an array of arrays of strings');
  if (tags.length > limits.maxTags) {
    return invalid('E_TOO_MANY_TAGS', `too many tags (${tags.length} > ${limits.maxTags})`);
  }
  const maxLength = limits.maxTagValueLength ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < tags.length; i++) {
    const tag: unknown = tags[i];
    if (!Array.isArray(tag) || tag.length === 0) {
      return invalid('E_EVENT_FIELD', `tag ${i} must be a non-empty array of strings`);
    }
    for (let j = 0; j < tag.length; j++) {
      const element: unknown = tag[j];
      if (typeof element !== 'string') {
        return invalid('E_EVENT_FIELD', `tag ${i} must be a non-empty array of strings`);
      }
      if (element.length > maxLength) {
        return invalid('E_TAG_TOO_LONG', `tag ${i} has an element longer than ${maxLength} characters`);
      }
    }
  }
  return undefined;
}

/**
 * Checks that `obj` is a NIP-01 filter with only known keys (ids, authors, kinds, since, until,
 * limit, search, `#` + one ASCII letter) of the right types, and returns it typed (same object).
 * Empty arrays are valid and match nothing.
 */
export function validateFilter(obj: unknown): Filter | ProtocolError {
  if (!isObject(obj)) return invalid('E_FILTER', 'filter must be a JSON object');
  for (const key in obj) {
    const problem = checkFilterField(key, obj[key]);
    if (problem !== undefined) return invalid('E_FILTER', problem);
  }
  return obj as Filter;
}

function checkFilterField(key: string, value: unknown): string | undefined {
  switch (key) {
    case 'ids':
    case 'authors':
      return isHexArray(value)
        ? undefined
        : `filter "${key}" must be an array of 64-char lowercase hex strings`;
    case 'kinds':
      return isKindArray(value) ? undefined : 'filter "kinds" must be an array of integers 0..65535';
    case 'since':
    case 'until':
    case 'limit':
      return isNonNegativeSafeInteger(value) ? undefined : `filter "${key}" must be a non-negative integer`;
    case 'search':
      return typeof value === 'string' ? undefined : 'filter "search" must be a string';
    default:
      if (!isTagFilterKey(key)) return `unknown filter field "${clip(key)}"`;
      return isStringArray(value) ? undefined : `filter "${key}" must be an array of strings`;
  }
}

/** True when `key` is a tag filter key: `#` followed by exactly one ASCII letter. */
export function isTagFilterKey(key: string): key is `#${string}` {
  if (key.length !== 2 || key.charCodeAt(0) !== 35) return false;
  const c = key.charCodeAt(1) | 0x20; // fold to lower case
  return c >= 97 && c <= 122;
}

function isHexArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!isHex64(item)) return false;
  return true;
}

function isKindArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!isKind(item)) return false;
  return true;
}

function isStringArray(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}
