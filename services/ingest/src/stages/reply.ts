import type { IngestResult } from '@nrelay/seams/ingest';
import type { SaveOutcome } from '@nrelay/store';

const OK: IngestResult = { ok: true, reason: '' };

/**
 * Reply stage: maps the store's outcome to the NIP-01 OK answer. A replaceable event older
 * than the stored one is acknowledged as a duplicate: the relay already holds a newer state.
 */
export function replyFor(outcome: SaveOutcome): IngestResult {
  switch (outcome.status) {
    case 'stored':
      return OK;
    case 'duplicate':
      return { ok: true, reason: 'duplicate: already have this event' };
    case 'replaced-older':
      return { ok: true, reason: 'duplicate: a newer version of this event is already stored' };
    case 'deleted':
      return { ok: false, reason: 'blocked: this event was deleted by its author' };
    case 'vanished':
      return { ok: false, reason: 'blocked: a request to vanish (NIP-62) covers this event' };
    default:
      return {
        ok: false,
        reason: `invalid: ${'message' in outcome ? outcome.message : 'the store refused this event'}`,
      };
  }
}
