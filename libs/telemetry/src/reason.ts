/**
 * NIP-01 machine-readable prefixes of OK and CLOSED reasons, as a bounded metric label: any
 * other text is `other`, an empty reason is `none`. Matching allocates nothing.
 */
export const REASON_PREFIXES = [
  'duplicate',
  'pow',
  'blocked',
  'rate-limited',
  'invalid',
  'restricted',
  'auth-required',
  'error',
  'unsupported',
  'mute',
] as const;

/** A reason's label: one of {@link REASON_PREFIXES}, `none` or `other`. */
export type ReasonLabel = (typeof REASON_PREFIXES)[number] | 'none' | 'other';

/** Every label a reason can get, for pre-building metric attributes. */
export const REASON_LABELS: readonly ReasonLabel[] = [...REASON_PREFIXES, 'none', 'other'];

/**
 * The label of the reason that starts at `start` in `text` (default the whole string): the
 * known prefix followed by `:`, else `other`; `none` when the reason is empty. `end` bounds
 * the reason (exclusive), for reasons embedded in a frame.
 */
export function reasonLabel(text: string, start = 0, end = text.length): ReasonLabel {
  if (start >= end) return 'none';
  for (const prefix of REASON_PREFIXES) {
    const colon = start + prefix.length;
    if (colon < end && text.charCodeAt(colon) === 58 && text.startsWith(prefix, start)) return prefix;
  }
  return 'other';
}
