/**
 * What NIP-01 says the relay must answer to a frame, derived from the frame alone (an oracle
 * written from the NIP, not from the relay's parser): OK for an EVENT or AUTH whose event has an
 * id, an answer on the subscription for a REQ/COUNT (and NIP-77's NEG-OPEN/NEG-MSG) with a usable
 * sub id, NOTICE otherwise.
 */

/** The answer one frame must get. `refuse`: true = must be refused, false = must be served, undefined = either. */
export type Expected =
  | { readonly form: 'OK'; readonly id: string; readonly refuse: boolean | undefined }
  | {
      readonly form: 'SUB';
      readonly verb: 'REQ' | 'COUNT';
      readonly subId: string;
      readonly refuse: boolean | undefined;
    }
  /** A CLOSE: no answer when well formed; with a usable sub id but the wrong arity, CLOSED or NOTICE. */
  | { readonly form: 'CLOSE'; readonly subId: string; readonly wellFormed: boolean }
  /**
   * NIP-77 with a usable sub id: NEG-MSG or NEG-ERR on it (`refuse` as for SUB); a well-formed
   * NEG-CLOSE (`refuse: false`) gets no answer at all.
   */
  | {
      readonly form: 'NEG';
      readonly verb: 'NEG-OPEN' | 'NEG-MSG' | 'NEG-CLOSE';
      readonly subId: string;
      readonly refuse: boolean | undefined;
    }
  | { readonly form: 'NOTICE' };

/** One fuzz case: a label, the frame sent verbatim, and what it must be answered with. */
export interface FuzzCase {
  readonly name: string;
  readonly frame: string;
  readonly expected: Expected;
}

/** NIP-01's longest subscription id, and the relay's default filters per REQ (NIP-11 `max_filters`). */
const MAX_SUBID = 64;
const MAX_FILTERS = 20;
const HEX64 = /^[0-9a-f]{64}$/;

function isHex64(v: unknown): v is string {
  return typeof v === 'string' && HEX64.test(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isUsableSubId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_SUBID;
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function allOf(v: unknown, pred: (x: unknown) => boolean): boolean {
  return Array.isArray(v) && v.every(pred);
}

/** Whether one filter field must be refused (true), served (false) or either (undefined). */
function fieldVerdict(key: string, value: unknown): boolean | undefined {
  switch (key) {
    case 'ids':
    case 'authors':
      return !allOf(value, isHex64);
    case 'kinds':
      return !allOf(value, (k) => typeof k === 'number' && Number.isInteger(k) && k >= 0 && k <= 65535);
    case 'since':
    case 'until':
    case 'limit':
      return !isCount(value);
    case 'search':
      // NIP-50 input is bounded by settings of its own (length, terms): either answer is fine.
      return typeof value === 'string' ? undefined : true;
    default:
      if (!/^#[A-Za-z]$/.test(key)) return true;
      return !allOf(value, (x) => typeof x === 'string');
  }
}

function filtersVerdict(verb: 'REQ' | 'COUNT', filters: unknown[]): boolean | undefined {
  if (filters.length === 0 || filters.length > MAX_FILTERS) return true;
  let verdict: boolean | undefined = false;
  for (const f of filters) {
    if (!isObject(f)) return true;
    for (const [key, value] of Object.entries(f)) {
      const v = fieldVerdict(key, value);
      if (v === true) return true;
      if (v === undefined) verdict = undefined;
    }
  }
  // A well-formed COUNT may still be refused as too costly (a `{}` COUNT): either answer.
  return verb === 'COUNT' ? undefined : verdict;
}

const HEX_MESSAGE = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * NIP-77: a NEG-CLOSE of two elements is served (silently), any other is refused; a NEG-MSG on
 * an id with no open session is refused (the cases never open one first); a NEG-OPEN must have
 * four elements, one valid filter and a non-empty even-length hex message, and may still be
 * refused when that message is no negentropy message.
 */
function negVerdict(verb: 'NEG-OPEN' | 'NEG-MSG' | 'NEG-CLOSE', data: unknown[]): boolean | undefined {
  if (verb === 'NEG-CLOSE') return data.length !== 2;
  if (verb === 'NEG-MSG') return true;
  const [, , filter, message] = data;
  if (data.length !== 4 || !isObject(filter)) return true;
  if (typeof message !== 'string' || !HEX_MESSAGE.test(message)) return true;
  for (const [key, value] of Object.entries(filter)) if (fieldVerdict(key, value) === true) return true;
  return undefined;
}

/** `value` as JSON, or '' when it is nested too deep to serialize (then it is no valid event). */
function canonical(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '';
  }
}

/**
 * The answer `frame` must get. `servable` holds the canonical JSON of events that are valid as
 * they stand (an EVENT carrying one unchanged may be accepted); any other event must be refused.
 */
export function expectedAnswer(frame: string, servable: ReadonlySet<string>): Expected {
  let data: unknown;
  try {
    data = JSON.parse(frame);
  } catch {
    return { form: 'NOTICE' };
  }
  if (!Array.isArray(data) || data.length === 0) return { form: 'NOTICE' };
  const [verb, first] = data as [unknown, unknown];
  switch (verb) {
    case 'EVENT':
    case 'AUTH': {
      if (!isObject(first) || !isHex64(first.id)) return { form: 'NOTICE' };
      const unchanged = data.length === 2 && verb === 'EVENT' && servable.has(canonical(first));
      return { form: 'OK', id: first.id, refuse: unchanged ? undefined : true };
    }
    case 'REQ':
    case 'COUNT':
      if (!isUsableSubId(first)) return { form: 'NOTICE' };
      return { form: 'SUB', verb, subId: first, refuse: filtersVerdict(verb, data.slice(2)) };
    case 'CLOSE':
      if (!isUsableSubId(first)) return { form: 'NOTICE' };
      return { form: 'CLOSE', subId: first, wellFormed: data.length === 2 };
    case 'NEG-OPEN':
    case 'NEG-MSG':
    case 'NEG-CLOSE':
      if (!isUsableSubId(first)) return { form: 'NOTICE' };
      return { form: 'NEG', verb, subId: first, refuse: negVerdict(verb, data) };
    default:
      return { form: 'NOTICE' };
  }
}
