/**
 * NIP-77 negentropy messages: the client's NEG-OPEN / NEG-MSG / NEG-CLOSE (checked here once the
 * session id is known good) and the relay's NEG-MSG / NEG-ERR frames.
 */
import { invalid, isProtocolError, type ProtocolError } from './errors.js';
import type { ClientNegClose, ClientNegMsg, ClientNegOpen } from './types.js';
import { validateFilter } from './validate.js';

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/**
 * Checks the arity and fields of a NIP-77 client message whose session id (`data[1]`) is already
 * checked. The hex payload must be non-empty and of even length; its content is the
 * negentropy algorithm's to judge.
 */
export function parseNegMessage(
  verb: 'NEG-OPEN' | 'NEG-MSG' | 'NEG-CLOSE',
  data: unknown[],
  subId: string,
): ClientNegOpen | ClientNegMsg | ClientNegClose | ProtocolError {
  if (verb === 'NEG-CLOSE') {
    if (data.length !== 2) return invalid('E_ARITY', 'NEG-CLOSE takes exactly one subscription id');
    return ['NEG-CLOSE', subId];
  }
  if (verb === 'NEG-MSG') {
    if (data.length !== 3) return invalid('E_ARITY', 'NEG-MSG takes a subscription id and a hex message');
    const hex = checkHex(data[2]);
    return isProtocolError(hex) ? hex : ['NEG-MSG', subId, hex];
  }
  if (data.length !== 4) {
    return invalid('E_ARITY', 'NEG-OPEN takes a subscription id, one filter and a hex message');
  }
  const filter = validateFilter(data[2]);
  if (isProtocolError(filter)) return filter;
  if (filter.search !== undefined) return invalid('E_FILTER', 'search filters cannot be synced (NIP-77)');
  const hex = checkHex(data[3]);
  return isProtocolError(hex) ? hex : ['NEG-OPEN', subId, filter, hex];
}

function checkHex(value: unknown): string | ProtocolError {
  if (typeof value !== 'string' || value.length === 0 || !HEX.test(value)) {
    return invalid('E_NEG_MESSAGE', 'negentropy message must be non-empty hex of even length');
  }
  return value;
}

/** `["NEG-MSG", subId, hex]`. */
export function negMsgFrame(subId: string, hex: string): string {
  return `["NEG-MSG",${JSON.stringify(subId)},"${hex}"]`;
}

/** `["NEG-ERR", subId, reason]`; the reason carries a NIP-01 prefix (`blocked:`, `closed:`, ...). */
export function negErrFrame(subId: string, reason: string): string {
  return JSON.stringify(['NEG-ERR', subId, reason]);
}
