import { hexToBytes, type NostrEvent, type SignatureVerifier } from '@nrelay/protocol';
import { verifySchnorr } from 'tiny-secp256k1';

/**
 * Schnorr verification with libsecp256k1 compiled to WebAssembly (tiny-secp256k1): about 5× the
 * rate of @noble/curves on this machine kind (see docs/adr/0004-signature-verifier.md).
 * @noble/curves stays the reference the tests cross-check against.
 */
export const wasmVerifier: SignatureVerifier = {
  name: 'tiny-secp256k1',
  verify(event: NostrEvent): boolean {
    const id = hexToBytes(event.id);
    const pubkey = hexToBytes(event.pubkey);
    const sig = hexToBytes(event.sig);
    if (!id || !pubkey || !sig || id.length !== 32 || pubkey.length !== 32 || sig.length !== 64) return false;
    try {
      return verifySchnorr(id, pubkey, sig);
    } catch {
      // Throws on a pubkey that is not an x coordinate on the curve: that is a bad signature.
      return false;
    }
  },
};
