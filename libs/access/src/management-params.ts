/**
 * NIP-86 method parameters: each reader checks one parameter and returns it normalized, or
 * throws {@link RpcParamError} (answered 400). The methods are in management-rpc.ts.
 */
import { isHex64, isKind } from '@nrelay/protocol';
import { normalizeIpRule } from './ip-blocklist.js';

/** A method's refusal of its parameters (answered 400). */
export class RpcParamError extends Error {
  override readonly name = 'RpcParamError';
}

const MAX_REASON = 1_000;
/** Longest relay name `changerelayname` accepts. */
export const MAX_NAME = 256;
/** Longest relay description `changerelaydescription` accepts. */
export const MAX_DESCRIPTION = 8_192;
const MAX_ICON_URL = 2_048;

/** The first parameter as a lower-case 32-byte hex public key. */
export function pubkeyParam(params: unknown[]): string {
  const value = params[0];
  const pubkey = typeof value === 'string' ? value.toLowerCase() : value;
  if (!isHex64(pubkey)) throw new RpcParamError('first parameter must be a 32-byte hex public key');
  return pubkey;
}

/** The first parameter as a lower-case 32-byte hex event id. */
export function eventIdParam(params: unknown[]): string {
  const value = params[0];
  const id = typeof value === 'string' ? value.toLowerCase() : value;
  if (!isHex64(id)) throw new RpcParamError('first parameter must be a 32-byte hex event id');
  return id;
}

/** The optional reason at `index` (default the second parameter); empty means none. */
export function reasonParam(params: unknown[], index = 1): string | null {
  const value = params[index];
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new RpcParamError('reason must be a string');
  if (value.length > MAX_REASON) throw new RpcParamError(`reason longer than ${MAX_REASON} characters`);
  return value;
}

/** The first parameter as a kind number (0..65535). */
export function kindParam(params: unknown[]): number {
  const value = params[0];
  if (!isKind(value)) throw new RpcParamError('first parameter must be a kind number (0..65535)');
  return value;
}

/** The first parameter as a normalized IP address or CIDR rule. */
export function ipParam(params: unknown[]): string {
  const value = params[0];
  const ip = typeof value === 'string' ? normalizeIpRule(value) : undefined;
  if (ip === undefined) throw new RpcParamError('first parameter must be an IP address or a CIDR');
  return ip;
}

/** The first parameter as text of at most `max` characters; blank means none (`null`). */
export function textParam(params: unknown[], max: number): string | null {
  const value = params[0];
  if (typeof value !== 'string') throw new RpcParamError('first parameter must be a string');
  if (value.length > max) throw new RpcParamError(`longer than ${max} characters`);
  return value.trim() === '' ? null : value;
}

/** The first parameter as an absolute http(s) icon URL; blank means none (`null`). */
export function iconParam(params: unknown[]): string | null {
  const value = textParam(params, MAX_ICON_URL);
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RpcParamError('icon must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new RpcParamError('icon must be an absolute http(s) URL');
  }
  return value;
}
