import { createRequire } from 'node:module';
import { hexToBytes, type NostrEvent, type SignatureVerifier } from '@nrelay/protocol';

/** The part of bcrypto's BIP-340 module this verifier uses. */
interface Bip340 {
  /** True when libtorsion's native addon is loaded (not bcrypto's pure-JS fallback). */
  readonly native: number;
  verify(msg: Buffer, sig: Buffer, key: Buffer): boolean;
}

function loadBip340(): Bip340 | undefined {
  try {
    // bcrypto is an optional dependency with a node-gyp build at install; it is absent on a
    // platform where the build failed. Its pure-JS fallback is slower than WASM: refuse it.
    const schnorr = createRequire(import.meta.url)('bcrypto/lib/schnorr') as Bip340;
    return schnorr.native === 2 ? schnorr : undefined;
  } catch {
    return undefined;
  }
}

const bip340 = loadBip340();

function buffer(hex: string, bytes: number): Buffer | undefined {
  const decoded = hex.length === bytes * 2 ? hexToBytes(hex) : undefined;
  return decoded && Buffer.from(decoded.buffer, decoded.byteOffset, decoded.length);
}

function verifyWith(schnorr: Bip340, event: NostrEvent): boolean {
  const id = buffer(event.id, 32);
  const pubkey = buffer(event.pubkey, 32);
  const sig = buffer(event.sig, 64);
  if (!id || !pubkey || !sig) return false;
  try {
    return schnorr.verify(id, sig, pubkey);
  } catch {
    // A pubkey that is not an x coordinate on the curve: that is a bad signature.
    return false;
  }
}

/**
 * Schnorr (BIP-340) verification in native code: bcrypto's libtorsion addon, about 2.5× the
 * WASM libsecp256k1 rate and 14× @noble/curves on this machine kind
 * (docs/adr/0004-signature-verifier.md). `undefined` when the addon is not built here.
 */
export const nativeVerifier: SignatureVerifier | undefined = bip340 && {
  name: 'bcrypto-native',
  verify: (event) => verifyWith(bip340, event),
};
