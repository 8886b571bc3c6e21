/**
 * Canonical NIP-01 serialization, event ids and Schnorr signature checks. Signature checking
 * sits behind `SignatureVerifier` so a faster native verifier can be swapped in.
 */
import { hash } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import type { NostrEvent } from './types.js';

/** The fields an event id commits to. */
export type UnsignedEvent = Pick<NostrEvent, 'pubkey' | 'created_at' | 'kind' | 'tags' | 'content'>;

/**
 * Canonical NIP-01 serialization `[0,pubkey,created_at,kind,tags,content]`. Uses
 * `JSON.stringify` escaping, as nostr-tools and most clients do, so ids agree with theirs.
 */
export function serializeEvent(event: UnsignedEvent): string {
  return JSON.stringify([0, event.pubkey, event.created_at, event.kind, event.tags, event.content]);
}

/** The event id: lowercase hex sha256 of the UTF-8 canonical serialization. */
export function computeEventId(event: UnsignedEvent): string {
  return hash('sha256', serializeEvent(event), 'hex');
}

/** True when `event.id` equals the id computed from the event's fields. */
export function hasValidId(event: NostrEvent): boolean {
  return computeEventId(event) === event.id;
}

/**
 * Checks an event's Schnorr signature over its id. Assumes the id was already checked against
 * the content (`hasValidId`); must return false, never throw, on malformed input.
 */
export interface SignatureVerifier {
  readonly name: string;
  verify(event: NostrEvent): boolean;
}

const HEX_VALUES = buildHexTable();

function buildHexTable(): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[97 + i] = 10 + i;
    table[65 + i] = 10 + i;
  }
  return table;
}

/** Decodes hex to bytes; returns undefined on odd length or any non-hex character. */
export function hexToBytes(hex: string): Uint8Array | undefined {
  const length = hex.length;
  if (length % 2 !== 0) return undefined;
  const bytes = new Uint8Array(length / 2);
  for (let i = 0, j = 0; i < length; i += 2, j++) {
    const hi = HEX_VALUES[hex.charCodeAt(i)] ?? -1;
    const lo = HEX_VALUES[hex.charCodeAt(i + 1)] ?? -1;
    if (hi < 0 || lo < 0) return undefined;
    bytes[j] = (hi << 4) | lo;
  }
  return bytes;
}

/** A new random secp256k1 key pair as lowercase hex (BIP-340 x-only public key). */
export function generateKeyPair(): { secretKey: string; pubkey: string } {
  const secret = schnorr.utils.randomSecretKey();
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
  return { secretKey: hex(secret), pubkey: hex(schnorr.getPublicKey(secret)) };
}

/** BIP-340 Schnorr verification with @noble/curves (pure JavaScript, audited). */
export const nobleVerifier: SignatureVerifier = {
  name: 'noble',
  verify(event: NostrEvent): boolean {
    const sig = hexToBytes(event.sig);
    const id = hexToBytes(event.id);
    const pubkey = hexToBytes(event.pubkey);
    if (sig?.length !== 64 || id?.length !== 32 || pubkey?.length !== 32) return false;
    try {
      return schnorr.verify(sig, id, pubkey);
    } catch {
      return false;
    }
  },
};

/** Outcome of `verifyEvent`. */
export type VerifyResult = 'ok' | 'bad-id' | 'bad-sig';

/** Checks the id first (cheap), then the signature; reports which check failed. */
export function verifyEvent(event: NostrEvent, verifier: SignatureVerifier = nobleVerifier): VerifyResult {
  if (!hasValidId(event)) return 'bad-id';
  return verifier.verify(event) ? 'ok' : 'bad-sig';
}
