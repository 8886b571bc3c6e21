import { REASON_LABELS, type ReasonLabel, reasonLabel } from '@nrelay/telemetry';

/** Counts of the answers a gateway sent, by NIP-01 reason prefix (read by the metrics). */
export interface AnswerTally {
  /** `OK true`, by reason label (`none` for an empty reason, `duplicate` for a known event). */
  okTrue: Record<ReasonLabel, number>;
  /** `OK false`: refused events, by reason prefix (gateway checks, hooks and ingest alike). */
  okFalse: Record<ReasonLabel, number>;
  /** `CLOSED` sent for a REQ or COUNT, by reason prefix. */
  closed: Record<ReasonLabel, number>;
}

function zeroes(): Record<ReasonLabel, number> {
  const out = {} as Record<ReasonLabel, number>;
  for (const label of REASON_LABELS) out[label] = 0;
  return out;
}

/** A fresh, zeroed tally. */
export function createAnswerTally(): AnswerTally {
  return { okTrue: zeroes(), okFalse: zeroes(), closed: zeroes() };
}

const OK_ID_START = 7; // after ["OK","
const CLOSED_SUB_START = 11; // after ["CLOSED","

/**
 * Counts one outgoing OK or CLOSED frame by reading its reason prefix in place: frames are
 * `JSON.stringify` output, where `",` and `","` occur only between elements (a quote inside a
 * string is escaped), so no parsing and no allocation is needed.
 */
export function tallyAnswer(tally: AnswerTally, kind: 'OK' | 'CLOSED', frame: string | Buffer): void {
  if (typeof frame !== 'string') return;
  const end = frame.length - 2; // before "]
  if (kind === 'CLOSED') {
    const sep = frame.indexOf('","', CLOSED_SUB_START);
    tally.closed[sep === -1 ? 'other' : reasonLabel(frame, sep + 3, end)]++;
    return;
  }
  const idEnd = frame.indexOf('",', OK_ID_START);
  if (idEnd === -1) return;
  const ok = frame.charCodeAt(idEnd + 2) === 116; // t(rue)
  const start = idEnd + 2 + (ok ? 4 : 5) + 2; // past true/false and ,"
  (ok ? tally.okTrue : tally.okFalse)[reasonLabel(frame, start, end)]++;
}
