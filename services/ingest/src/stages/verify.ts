import type { NostrEvent, SignatureVerifier } from '@nrelay/protocol';
import { verifyEvent } from '@nrelay/protocol';
import type { StageVerdict } from '../types.js';

/**
 * Verify stage: the event id must be the hash of its canonical form and the signature must be
 * valid for the pubkey. The gateway already checked the id cheaply; this stage is authoritative.
 */
export function verifyStage(event: NostrEvent, verifier: SignatureVerifier): StageVerdict {
  const verdict = verifyEvent(event, verifier);
  if (verdict === 'bad-id') return { ok: false, reason: 'invalid: event id does not match its content' };
  if (verdict === 'bad-sig') return { ok: false, reason: 'invalid: bad signature' };
  return undefined;
}
