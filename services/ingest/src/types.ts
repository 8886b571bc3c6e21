import type { NostrEvent } from '@nrelay/protocol';
import type { MaybePromise, Rejection } from '@nrelay/runtime';
import type { IngestRequest, IngestResult } from '@nrelay/seams/ingest';

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
 * observes. They run in array order in the process that runs the pipeline (the ingest worker in
 * a cluster). `rejectEvent` may return a promise, awaited only when returned; one that throws
 * refuses with `error: internal error` (logged). Empty arrays cost nothing. See docs/plugins.md.
 */
export interface IngestHooks {
  /** Refuse an event after its signature and the built-in policy checks: the reason becomes `OK false`. */
  rejectEvent: Array<(event: NostrEvent, request: IngestRequest) => MaybePromise<Rejection>>;
  /** Observe an event once it is committed (before fanout delivery completes). */
  onEventSaved: Array<(event: NostrEvent, request: IngestRequest) => void>;
  /** Observe an accepted ephemeral event (published, never stored). */
  onEphemeralEvent: Array<(event: NostrEvent, request: IngestRequest) => void>;
}

const INGEST_HOOKS: Record<keyof IngestHooks, true> = {
  rejectEvent: true,
  onEventSaved: true,
  onEphemeralEvent: true,
};

/** The names of every ingest hook list (what a plugin's `ingest` part may hold). */
export const INGEST_HOOK_NAMES = Object.keys(INGEST_HOOKS) as readonly (keyof IngestHooks)[];

/** One ingest step's verdict: continue, or answer the client now. */
export type StageVerdict = IngestResult | undefined;

/** The ingest pipeline: verify → policy → store → reply → publish, one OK per event. */
export interface IngestPipeline {
  process(request: IngestRequest): Promise<IngestResult>;
  /** Waits for queued writes, then stops accepting. */
  close(): Promise<void>;
}
