/**
 * The HAProxy PROXY protocol header (v1 text, `send-proxy`; v2 binary, `send-proxy-v2`), as
 * specified in https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt. Pure parsing over
 * the bytes received so far; the socket handling is in `client-ip.ts`.
 */
import { formatIpv4, formatIpv6, normaliseIp, parseIp } from './cidr.js';

/** What the first bytes of a connection say about a PROXY header. */
export type ProxyHeader =
  /** More bytes are needed to decide. */
  | { readonly state: 'incomplete' }
  /** The connection does not start with a PROXY header: its bytes are the client's. */
  | { readonly state: 'absent' }
  | { readonly state: 'invalid'; readonly reason: string }
  /**
   * A complete header of `length` bytes. `source` is the client address it carries; undefined
   * for v1 `UNKNOWN`, v2 `LOCAL` (health checks) and non-IP families, where the socket's own
   * peer stands.
   */
  | { readonly state: 'complete'; readonly length: number; readonly source: string | undefined };

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
/** v1: "PROXY TCP6 <39> <39> 65535 65535\r\n" is the longest legal line. */
const V1_MAX_LENGTH = 107;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V2_FIXED_LENGTH = 16;

const INCOMPLETE: ProxyHeader = { state: 'incomplete' };
const ABSENT: ProxyHeader = { state: 'absent' };

/** Whether `buf` starts with `prefix` (compared over the shorter of the two). */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

const PORT = /^\d{1,5}$/;

function parseV1(buf: Buffer): ProxyHeader {
  const end = buf.indexOf('\r\n', 0, 'latin1');
  if (end < 0) {
    if (buf.length >= V1_MAX_LENGTH) return { state: 'invalid', reason: 'PROXY v1 line too long' };
    return INCOMPLETE;
  }
  if (end + 2 > V1_MAX_LENGTH) return { state: 'invalid', reason: 'PROXY v1 line too long' };
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  const family = parts[1];
  if (family === 'UNKNOWN') return { state: 'complete', length: end + 2, source: undefined };
  if ((family !== 'TCP4' && family !== 'TCP6') || parts.length !== 6) {
    return { state: 'invalid', reason: 'malformed PROXY v1 line' };
  }
  const [, , src, dst, srcPort, dstPort] = parts as [string, string, string, string, string, string];
  const source = parseIp(src);
  const destination = parseIp(dst);
  const wantV4 = family === 'TCP4';
  const familyOk = (text: string) => (wantV4 ? !text.includes(':') : text.includes(':'));
  if (
    source === undefined ||
    destination === undefined ||
    !familyOk(src) ||
    !familyOk(dst) ||
    !PORT.test(srcPort) ||
    !PORT.test(dstPort) ||
    Number(srcPort) > 65535 ||
    Number(dstPort) > 65535
  ) {
    return { state: 'invalid', reason: 'malformed PROXY v1 addresses' };
  }
  return { state: 'complete', length: end + 2, source: normaliseIp(src) };
}

function parseV2(buf: Buffer): ProxyHeader {
  if (buf.length < V2_FIXED_LENGTH) return INCOMPLETE;
  const versionCommand = buf[12]!;
  if (versionCommand >> 4 !== 2) return { state: 'invalid', reason: 'unsupported PROXY v2 version' };
  const command = versionCommand & 0x0f;
  if (command > 1) return { state: 'invalid', reason: 'unknown PROXY v2 command' };
  const family = buf[13]! >> 4;
  const addressLength = buf.readUInt16BE(14);
  const length = V2_FIXED_LENGTH + addressLength;
  if (buf.length < length) return INCOMPLETE;
  // LOCAL: the proxy speaks for itself (health checks); UNSPEC/UNIX: no IP to take.
  if (command === 0 || (family !== 1 && family !== 2))
    return { state: 'complete', length, source: undefined };
  const at = V2_FIXED_LENGTH;
  if (family === 1) {
    if (addressLength < 12) return { state: 'invalid', reason: 'PROXY v2 IPv4 block too short' };
    return { state: 'complete', length, source: formatIpv4(buf.readUInt32BE(at)) };
  }
  if (addressLength < 36) return { state: 'invalid', reason: 'PROXY v2 IPv6 block too short' };
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(buf[at + i]!);
  return { state: 'complete', length, source: normaliseIp(formatIpv6(n)) };
}

/**
 * Reads a PROXY header (v1 or v2) from the first bytes of a connection. Bytes that cannot start
 * either signature mean there is no header (`absent`), so a trusted peer may also speak HTTP
 * directly; a started but malformed header is `invalid`.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeader {
  if (buf.length === 0) return INCOMPLETE;
  if (startsLike(buf, V1_PREFIX)) return buf.length < V1_PREFIX.length ? INCOMPLETE : parseV1(buf);
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < V2_SIGNATURE.length ? INCOMPLETE : parseV2(buf);
  return ABSENT;
}

/** A v1 header line, for tests and tools. */
export function proxyV1Header(source: string, sourcePort: number, destination: string, port: number): Buffer {
  const family = source.includes(':') ? 'TCP6' : 'TCP4';
  return Buffer.from(`PROXY ${family} ${source} ${destination} ${sourcePort} ${port}\r\n`, 'latin1');
}

function addressBytes(ip: string): Buffer {
  const parsed = parseIp(ip);
  if (parsed === undefined) throw new Error(`not an IP address: ${ip}`);
  if (parsed.v === 4 && !ip.includes(':')) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(parsed.n);
    return b;
  }
  const n = parsed.v === 4 ? (0xffffn << 32n) | BigInt(parsed.n) : parsed.n;
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) b[i] = Number((n >> BigInt(8 * (15 - i))) & 0xffn);
  return b;
}

/** A v2 header (PROXY command, TCP; LOCAL when `source` is undefined), for tests and tools. */
export function proxyV2Header(
  source: string | undefined,
  sourcePort = 0,
  destination = source?.includes(':') ? '::1' : '127.0.0.1',
  port = 0,
): Buffer {
  if (source === undefined) return Buffer.concat([V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const src = addressBytes(source);
  const dst = addressBytes(destination);
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(port, 2);
  const block = Buffer.concat([src, dst, ports]);
  const head = Buffer.from([0x21, src.length === 4 ? 0x11 : 0x21, 0, 0]);
  head.writeUInt16BE(block.length, 2);
  return Buffer.concat([V2_SIGNATURE, head, block]);
}
