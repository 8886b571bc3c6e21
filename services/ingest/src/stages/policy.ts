import type { NostrEvent } from '@nrelay/protocol';
import { expirationOf, powDifficulty, VANISH_KIND, vanishTarget } from '@nrelay/protocol';
import { firstRejection, type HookLogger, type MaybePromise } from '@nrelay/runtime';
import type { IngestRequest } from '@nrelay/seams/ingest';
import type { IngestHooks, IngestPolicy, StageVerdict } from '../types.js';

/** NIP-42 authentication events are answers to a challenge, never content to store or relay. */
const AUTH_KIND = 22242;

/**
 * Policy stage: NIP-22 created_at bounds, NIP-13 proof of work, a NIP-62 request to vanish
 * naming another relay (or none) refused, NIP-40 expiry on arrival, AUTH events refused, then the `rejectEvent` hooks in order (reasons prefixed; a promise only when a
 * hook returned one). `now` is in seconds. With `logger`, a throwing hook refuses with `error:`.
 */
export function policyStage(
  event: NostrEvent,
  request: IngestRequest,
  policy: IngestPolicy,
  hooks: IngestHooks,
  now: number,
  logger?: HookLogger,
): MaybePromise<StageVerdict> {
  if (event.kind === AUTH_KIND) {
    return { ok: false, reason: 'invalid: kind 22242 is for AUTH messages, not EVENT' };
  }
  if (event.created_at > now + policy.createdAtUpperLimit) {
    return {
      ok: false,
      reason: `invalid: created_at is more than ${policy.createdAtUpperLimit} seconds in the future`,
    };
  }
  if (policy.createdAtLowerLimit > 0 && event.created_at < now - policy.createdAtLowerLimit) {
    return {
      ok: false,
      reason: `invalid: created_at is more than ${policy.createdAtLowerLimit} seconds in the past`,
    };
  }
  if (policy.minPowDifficulty > 0) {
    const bits = powDifficulty(event.id);
    if (bits < policy.minPowDifficulty) {
      return { ok: false, reason: `pow: difficulty ${bits} is less than ${policy.minPowDifficulty}` };
    }
  }
  if (event.kind === VANISH_KIND) {
    const target = vanishTarget(event, request.relayUrl);
    if (target === 'none')
      return { ok: false, reason: 'invalid: a request to vanish needs a relay tag (NIP-62)' };
    if (target === 'other') {
      return { ok: false, reason: 'invalid: this request to vanish names neither this relay nor ALL_RELAYS' };
    }
  }
  const expiration = expirationOf(event);
  if (expiration !== undefined && expiration <= now) {
    return { ok: false, reason: 'invalid: event has expired' };
  }
  if (hooks.rejectEvent.length === 0) return undefined;
  const verdict = firstRejection(hooks.rejectEvent, event, request, logger);
  if (verdict === undefined) return undefined;
  if (typeof verdict === 'string') return { ok: false, reason: verdict };
  return verdict.then((reason) => (reason === undefined ? undefined : { ok: false, reason }));
}
