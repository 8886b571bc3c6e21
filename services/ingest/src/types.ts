import type { IngestRequest, IngestResult } from '@nrelay/contracts';
import type { NostrEvent } from '@nrelay/protocol';

/** The policy settings the ingest pipeline enforces (a subset of the relay's Config). */
export interface IngestPolicy {
  /** Refuse events older than this many seconds; 0 disables. */
  createdAtLowerLimit: number;
  /** Refuse events more than this many seconds in the future. */
  createdAtUpperLimit: number;
  /** NIP-13 leading zero bits required; 0 disables. */
  minPowDifficulty: number;
}

/**
 * Ingest hooks (khatru-style): `reject*` returns a prefixed reason to refuse, `on*` only
 * observes. Empty arrays cost nothing.
 */
export interface IngestHooks {
  rejectEvent: Array<(event: NostrEvent, request: IngestRequest) => string | undefined>;
  onEventSaved: Array<(event: NostrEvent, request: IngestRequest) => void>;
  onEphemeralEvent: Array<(event: NostrEvent, request: IngestRequest) => void>;
}

/** One ingest step's verdict: continue, or answer the client now. */
export type StageVerdict = IngestResult | undefined;

/** A function turning an event into its OK. */
export type Ingest = (request: IngestRequest, signal?: AbortSignal) => Promise<IngestResult>;
