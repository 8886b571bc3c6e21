/**
 * CIDR lists for IP_ALLOW, IP_DENY and TRUSTED_PROXIES: parsed once at start into sorted,
 * merged numeric ranges (IPv4 as numbers, IPv6 as bigints), so a lookup is a binary search.
 * IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are IPv4 everywhere: in lists and in lookups.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ConfigError } from '@nrelay/config';

/** A parsed IP address: family and value (IPv4 as an unsigned 32-bit number, IPv6 as a bigint). */
export type ParsedIp = { readonly v: 4; readonly n: number } | { readonly v: 6; readonly n: bigint };

/** An inclusive range of addresses of one family. */
interface Range<T> {
  start: T;
  end: T;
}

/** A pre-parsed list of CIDRs; build it with {@link parseCidrList}. */
export interface CidrList {
  readonly v4: readonly Range<number>[];
  readonly v6: readonly Range<bigint>[];
  /** The entries as configured, for logs and messages. */
  readonly entries: readonly string[];
}

/** The list that matches nothing. */
export const EMPTY_CIDR_LIST: CidrList = { v4: [], v6: [], entries: [] };

const V4_MAPPED_PREFIX = 0xffffn << 32n;

function parseV4(text: string): number {
  const parts = text.split('.');
  let n = 0;
  for (const part of parts) n = n * 256 + Number(part);
  return n;
}

/** Parses IPv6 text already validated by `isIPv6` (no zone id); a dotted IPv4 tail is allowed. */
function parseV6(text: string): bigint {
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = parseV4(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const gap = s.indexOf('::');
  const left = gap >= 0 ? s.slice(0, gap) : s;
  const right = gap >= 0 ? s.slice(gap + 2) : '';
  const leftGroups = left === '' ? [] : left.split(':');
  const rightGroups = right === '' ? [] : right.split(':');
  const zeros = gap >= 0 ? 8 - leftGroups.length - rightGroups.length : 0;
  let n = 0n;
  for (const g of leftGroups) n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  n <<= BigInt(16 * zeros);
  for (const g of rightGroups) n = (n << 16n) | BigInt(Number.parseInt(g, 16));
  return n;
}

/**
 * Parses an IP address as a socket or a proxy reports it: IPv4, IPv6 (an `%zone` suffix is
 * ignored) or IPv4-mapped IPv6, which becomes IPv4. Undefined when it is not an address.
 */
export function parseIp(text: string): ParsedIp | undefined {
  if (isIPv4(text)) return { v: 4, n: parseV4(text) };
  const zone = text.indexOf('%');
  const bare = zone >= 0 ? text.slice(0, zone) : text;
  if (!isIPv6(bare)) return undefined;
  const n = parseV6(bare);
  if (n >> 32n === 0xffffn) return { v: 4, n: Number(n & 0xffffffffn) };
  return { v: 6, n };
}

/** RFC 5952 text of an IPv6 value: lowercase, no leading zeros, the longest zero run as `::`. */
export function formatIpv6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** Dotted text of an IPv4 value. */
export function formatIpv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * The canonical text of an address, so one client has one key in logs and limits: dotted IPv4
 * for IPv4 and IPv4-mapped IPv6, RFC 5952 for IPv6 (zone dropped); other text unchanged.
 */
export function normaliseIp(text: string): string {
  const ip = parseIp(text);
  if (ip === undefined) return text;
  return ip.v === 4 ? formatIpv4(ip.n) : formatIpv6(ip.n);
}

/** One CIDR (or a bare address) as a range, or a problem description. */
function parseCidr(entry: string): { v4: Range<number> } | { v6: Range<bigint> } | { problem: string } {
  const slash = entry.indexOf('/');
  const addressText = slash >= 0 ? entry.slice(0, slash) : entry;
  const ip = parseIp(addressText);
  if (ip === undefined) return { problem: `"${entry}" is not an IPv4 or IPv6 address or CIDR` };
  const mapped = ip.v === 4 && !isIPv4(addressText);
  const bits = ip.v === 4 && !mapped ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const lengthText = entry.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lengthText) || Number(lengthText) > bits) {
      return { problem: `"${entry}" has an invalid prefix length (0-${bits})` };
    }
    prefix = Number(lengthText);
  }
  if (ip.v === 6) {
    const hostBits = BigInt(128 - prefix);
    const start = (ip.n >> hostBits) << hostBits;
    return { v6: { start, end: start | ((1n << hostBits) - 1n) } };
  }
  if (mapped) {
    // ::ffff:a.b.c.d/N: IPv4 with prefix N-96; a shorter prefix also covers non-mapped IPv6.
    if (prefix < 96) {
      const hostBits = BigInt(128 - prefix);
      const start = ((V4_MAPPED_PREFIX | BigInt(ip.n)) >> hostBits) << hostBits;
      return { v6: { start, end: start | ((1n << hostBits) - 1n) } };
    }
    prefix -= 96;
  }
  const size = 2 ** (32 - prefix);
  const start = Math.floor(ip.n / size) * size;
  return { v4: { start, end: start + size - 1 } };
}

/** Sorts ranges and merges overlapping or adjacent ones; `next(x)` is x + 1 in T. */
function merge<T extends number | bigint>(ranges: Range<T>[], next: (x: T) => T): Range<T>[] {
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Range<T>[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last !== undefined && r.start <= next(last.end)) {
      if (r.end > last.end) last.end = r.end;
    } else out.push({ ...r });
  }
  return out;
}

/**
 * Parses the entries of a list setting (e.g. IP_DENY) into a {@link CidrList}. Entries are
 * CIDRs or bare addresses (= /32 or /128); host bits below the prefix are ignored. Every bad
 * entry is reported at once in a {@link ConfigError} naming the setting.
 */
export function parseCidrList(entries: readonly string[], setting = 'CIDR list'): CidrList {
  const v4: Range<number>[] = [];
  const v6: Range<bigint>[] = [];
  const problems: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parsed = parseCidr(entry);
    if ('problem' in parsed) problems.push(`${setting}: ${parsed.problem}`);
    else if ('v4' in parsed) v4.push(parsed.v4);
    else v6.push(parsed.v6);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Every IPv6 range that covers IPv4-mapped space also covers those IPv4 addresses.
  for (const r of v6) {
    const lo = r.start > V4_MAPPED_PREFIX ? r.start : V4_MAPPED_PREFIX;
    const hi = r.end < (V4_MAPPED_PREFIX | 0xffffffffn) ? r.end : V4_MAPPED_PREFIX | 0xffffffffn;
    if (lo <= hi) v4.push({ start: Number(lo & 0xffffffffn), end: Number(hi & 0xffffffffn) });
  }
  return {
    v4: merge(v4, (x) => x + 1),
    v6: merge(v6, (x) => x + 1n),
    entries: entries.map((e) => e.trim()).filter((e) => e !== ''),
  };
}

function inRanges<T extends number | bigint>(ranges: readonly Range<T>[], n: T): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (n < r.start) hi = mid - 1;
    else if (n > r.end) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Whether a parsed address is in the list. */
export function parsedIpInList(ip: ParsedIp, list: CidrList): boolean {
  return ip.v === 4 ? inRanges(list.v4, ip.n) : inRanges(list.v6, ip.n);
}

/**
 * Whether `ip` (text, as a socket or proxy reports it) is in the list; false for an empty list
 * and for text that is not an address.
 */
export function ipInList(ip: string, list: CidrList): boolean {
  if (list.v4.length === 0 && list.v6.length === 0) return false;
  const parsed = parseIp(ip);
  return parsed !== undefined && parsedIpInList(parsed, list);
}
