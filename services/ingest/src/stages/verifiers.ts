import { nobleVerifier, type SignatureVerifier } from '@nrelay/protocol';
import { nativeVerifier } from './native-verifier.js';
import { wasmVerifier } from './wasm-verifier.js';

/** Names accepted by the SIGNATURE_VERIFIER setting. */
export type VerifierChoice = 'auto' | 'native' | 'wasm' | 'noble';

/**
 * The verifier ingest uses: `auto` takes the native addon when it is built here, else WASM
 * libsecp256k1. Asking for `native` where the addon is missing is an error that says how to
 * get it, not a silent fallback.
 */
export function chooseVerifier(choice: VerifierChoice | string = 'auto'): SignatureVerifier {
  switch (choice) {
    case 'noble':
      return nobleVerifier;
    case 'wasm':
      return wasmVerifier;
    case 'native':
      if (!nativeVerifier) {
        throw new Error(
          'SIGNATURE_VERIFIER=native but the bcrypto addon is not built: run `npm rebuild bcrypto` (needs python3, make, g++) or use auto',
        );
      }
      return nativeVerifier;
    case 'auto':
      return nativeVerifier ?? wasmVerifier;
    default:
      throw new Error(`unknown signature verifier ${choice}: use auto, native, wasm or noble`);
  }
}
