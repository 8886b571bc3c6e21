/**
 * NIP-45 HyperLogLog: 256 one-byte registers fed from the pubkeys of the counted events, so a
 * client can merge several relays' answers (max per register) and estimate the union. The
 * offset that picks which pubkey bytes feed the registers comes from the filter's tag value, so
 * every relay computes the same registers for the same query (docs/adr/0021-vanish-and-hll.md).
 */
import { hash } from 'node:crypto';
import type { Filter } from './types.js';

/** Registers of a NIP-45 HLL value (precision 8). */
export const HLL_REGISTERS = 256;

/** Hex digits after the register byte that feed the leading-zero count (7 bytes, as the NIP's reference code). */
export const HLL_RANK_HEX = 14;

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * The offset for a tag value: its own hex if it is 32-byte hex, the pubkey of a `kind:pubkey:d`
 * address, else the sha256 of the value; then the hex digit at position 32, plus 8 (8..23).
 */
export function hllOffsetOf(tagValue: string): number {
  let hex = tagValue;
  if (!HEX64.test(hex)) {
    const parts = tagValue.split(':');
    hex =
      parts.length === 3 && HEX64.test(parts[1] as string) ? (parts[1] as string) : hash('sha256', tagValue);
  }
  return Number.parseInt(hex[32] as string, 16) + 8;
}

/**
 * The offset when a COUNT qualifies for an HLL answer, else undefined: one filter, `kinds`
 * given, exactly one tag attribute holding exactly one value, and no `ids`, `authors` or
 * `search` (the shapes NIP-45 names: reactions, reposts, replies, quotes, comments, followers).
 * Anything else gets a plain count, at no extra cost.
 */
export function hllOffsetFor(filters: readonly Filter[]): number | undefined {
  if (filters.length !== 1) return undefined;
  const f = filters[0] as Filter;
  if (f.kinds === undefined || f.kinds.length === 0) return undefined;
  if (f.ids !== undefined || f.authors !== undefined || f.search !== undefined) return undefined;
  let value: string | undefined;
  for (const key of Object.keys(f)) {
    if (key[0] !== '#') continue;
    const values = f[key as `#${string}`];
    if (value !== undefined || !Array.isArray(values) || values.length !== 1) return undefined;
    value = values[0];
  }
  return value === undefined ? undefined : hllOffsetOf(value);
}

/** 1 + the leading zero bits of `rankHex` (the HLL_RANK_HEX digits after the register byte). */
export function hllRank(rankHex: string): number {
  let zeros = 0;
  for (let i = 0; i < rankHex.length; i++) {
    const digit = Number.parseInt(rankHex[i] as string, 16);
    if (digit === 0) {
      zeros += 4;
      continue;
    }
    return zeros + Math.clz32(digit) - 28 + 1;
  }
  return zeros + 1;
}

/** Feeds one pubkey (64 lowercase hex) into `registers` at `offset`. */
export function hllAdd(registers: Uint8Array, pubkey: string, offset: number): void {
  const index = Number.parseInt(pubkey.slice(offset * 2, offset * 2 + 2), 16);
  const rank = hllRank(pubkey.slice(offset * 2 + 2, offset * 2 + 2 + HLL_RANK_HEX));
  if (rank > (registers[index] as number)) registers[index] = rank;
}

/** The `hll` field: the registers as 512 lowercase hex digits. */
export function hllHex(registers: Uint8Array): string {
  return Buffer.from(registers).toString('hex');
}
