/** What an import or a download did with the events it read. */
export interface WriteSummary {
  /** Non-blank lines (or events received) read. */
  read: number;
  /** Newly stored. */
  stored: number;
  /** Already stored (or an older version of a replaceable event already superseded). */
  duplicate: number;
  /** Not an event: bad JSON or shape, a wrong id, a bad signature, a line too long. */
  invalid: number;
  /** Valid, but the relay's rules refuse it (bans, kind rules, NIP-09 deletions, expiry, created_at bounds). */
  rejected: number;
  /** The store failed to write (e.g. the database went away): nothing of these is stored. */
  failed: number;
  /** The run was stopped (SIGINT/SIGTERM) before reading everything. */
  interrupted: boolean;
  /** The rejection reasons and how often each was given. */
  reasons: Record<string, number>;
  /** Seconds from the first line read to the last answer (opening the store not counted). */
  seconds: number;
}

/** An empty tally. */
export function emptySummary(): WriteSummary {
  return {
    read: 0,
    stored: 0,
    duplicate: 0,
    invalid: 0,
    rejected: 0,
    failed: 0,
    interrupted: false,
    reasons: {},
    seconds: 0,
  };
}

const NOT_AN_EVENT = new Set(['invalid: event id does not match its content', 'invalid: bad signature']);

/** Counts one pipeline answer (the NIP-01 OK fields) into `summary`. */
export function countAnswer(summary: WriteSummary, ok: boolean, reason: string): keyof WriteSummary {
  if (ok) {
    const key = reason.startsWith('duplicate:') ? 'duplicate' : 'stored';
    summary[key]++;
    return key;
  }
  // The verify stage's two answers (services/ingest/src/stages/verify.ts) say "not an event".
  if (NOT_AN_EVENT.has(reason)) {
    summary.invalid++;
    return 'invalid';
  }
  if (reason.startsWith('error:') || reason.startsWith('rate-limited:')) {
    summary.failed++;
    return 'failed';
  }
  summary.rejected++;
  summary.reasons[reason] = (summary.reasons[reason] ?? 0) + 1;
  return 'rejected';
}

/** The summary as the lines printed at the end of a run. */
export function formatSummary(label: string, s: WriteSummary): string {
  const seconds = s.seconds;
  const rate = seconds > 0 ? Math.round(s.read / seconds) : 0;
  const lines = [
    `${label}${s.interrupted ? ' (interrupted)' : ''}: read ${s.read}, stored ${s.stored}, duplicate ${s.duplicate}, ` +
      `invalid ${s.invalid}, rejected by policy ${s.rejected}${s.failed > 0 ? `, failed ${s.failed}` : ''} ` +
      `in ${seconds.toFixed(1)} s (${rate} events/s)`,
  ];
  const reasons = Object.entries(s.reasons).sort((a, b) => b[1] - a[1]);
  for (const [reason, count] of reasons.slice(0, 10)) lines.push(`  ${count} × ${reason}`);
  if (reasons.length > 10) lines.push(`  … and ${reasons.length - 10} other reasons`);
  return `${lines.join('\n')}\n`;
}
