/**
 * The URL a client used to reach the relay, for checking what it signed: the NIP-42 `relay` tag
 * and the NIP-98 `u` tag must name it, or a malicious relay could pass our AUTH challenge to a
 * user, have them sign for its own URL, and replay the event here (issue 10, defect 7).
 *
 * RELAY_URL, when set, is the answer. Otherwise it is read from the request: the Host header,
 * or X-Forwarded-Host / X-Forwarded-Proto when the socket peer is a trusted proxy
 * (TRUSTED_PROXIES), since a proxy that terminates TLS or rewrites Host reports the client's
 * view in those. A client talking to the relay directly picks its own Host header, so only
 * RELAY_URL binds a signature to this relay against such a client (docs/access-control.md).
 */
import type { IncomingMessage } from 'node:http';
import { type CidrList, ipInList, normaliseIp } from './cidr.js';

/** The origin (`http(s)://host[:port]`) a request was sent to; undefined when it cannot be told. */
export type PublicOriginResolver = (req: IncomingMessage) => string | undefined;

/** Distinct origins remembered, so connections to one host share one string; the rest are built anew. */
const MAX_REMEMBERED = 64;

/** The right-most value of a (possibly repeated, comma-separated) header: the one the nearest proxy set. */
function lastValue(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const joined = Array.isArray(header) ? header.join(',') : header;
  const value = joined.slice(joined.lastIndexOf(',') + 1).trim();
  return value === '' ? undefined : value;
}

/** A host[:port] as it may appear in a URL authority: no userinfo, path, spaces or controls. */
const HOST = /^(?:\[[0-9a-fA-F:.]+\]|[^\s/?#@[\]\\:]+)(?::\d{1,5})?$/;

/**
 * Builds the resolver for RELAY_URL (wins when set) and TRUSTED_PROXIES. Behind a trusted proxy
 * X-Forwarded-Proto `https`/`wss` makes the origin https; anything else is http (`ws`/`wss` and
 * `http`/`https` compare alike under `sameLooseUrl`, only default ports differ).
 */
export function createPublicOriginResolver(
  relayUrl: string | undefined,
  trusted: CidrList,
): PublicOriginResolver {
  if (relayUrl) {
    let origin: string | undefined;
    try {
      origin = new URL(relayUrl).origin.replace(/^ws/, 'http');
    } catch {
      origin = undefined;
    }
    return () => origin;
  }
  const remembered = new Map<string, string>();
  const noProxies = trusted.v4.length === 0 && trusted.v6.length === 0;
  return function publicOrigin(req) {
    const viaProxy = !noProxies && ipInList(normaliseIp(req.socket.remoteAddress ?? ''), trusted);
    const forwardedHost = viaProxy ? lastValue(req.headers['x-forwarded-host']) : undefined;
    const host = forwardedHost ?? req.headers.host;
    if (host === undefined || !HOST.test(host)) return undefined;
    const proto = viaProxy ? lastValue(req.headers['x-forwarded-proto'])?.toLowerCase() : undefined;
    const secure = proto === 'https' || proto === 'wss';
    const key = `${secure ? 's' : ''}${host}`;
    const known = remembered.get(key);
    if (known !== undefined) return known;
    const origin = `${secure ? 'https' : 'http'}://${host.toLowerCase()}`;
    if (remembered.size < MAX_REMEMBERED) remembered.set(key, origin);
    return origin;
  };
}

/** Path of a request target without its query string (`/` when empty). */
export function requestPath(req: IncomingMessage): string {
  const target = req.url ?? '/';
  const query = target.indexOf('?');
  return (query < 0 ? target : target.slice(0, query)) || '/';
}
