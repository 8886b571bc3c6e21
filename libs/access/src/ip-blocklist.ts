/**
 * NIP-86 `blockip` entries: single addresses or CIDRs, IPv4 and IPv6, matched with the same
 * range lists as IP_DENY (cidr.ts).
 */
import { isIPv4 } from 'node:net';
import { type CidrList, ipInList, normaliseIp, parseCidrList, parseIp } from './cidr.js';

/**
 * The canonical text of a `blockip` argument (addresses as `normaliseIp` writes them, so one
 * address has one entry), or undefined when it is neither an IP address nor a valid CIDR.
 */
export function normalizeIpRule(text: string): string | undefined {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === '') return undefined;
  try {
    parseCidrList([trimmed], 'blockip');
  } catch {
    return undefined;
  }
  const slash = trimmed.indexOf('/');
  if (slash < 0) return normaliseIp(trimmed);
  const address = trimmed.slice(0, slash);
  const prefix = Number(trimmed.slice(slash + 1));
  const ip = parseIp(address);
  // An IPv4-mapped CIDR counts its prefix in IPv6 bits: keep its form.
  if (ip !== undefined && (ip.v === 6 || isIPv4(address))) return `${normaliseIp(address)}/${prefix}`;
  return `${address}/${prefix}`;
}

/** A matcher over `rules` (entries that do not parse are skipped). */
export function ipBlockMatcher(rules: Iterable<string>): (ip: string) => boolean {
  const valid = [...rules].filter((rule) => normalizeIpRule(rule) !== undefined);
  if (valid.length === 0) return () => false;
  const list: CidrList = parseCidrList(valid, 'blockip');
  return (ip) => ipInList(ip, list);
}
