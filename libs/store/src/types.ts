import type { SearchLimits } from '@nrelay/protocol';

/** What happened to one event handed to `EventStore.save`. */
export type SaveOutcome =
  /** Written (and, for a deletion request, applied). */
  | { status: 'stored' }
  /** The same id is already stored; nothing changed. */
  | { status: 'duplicate' }
  /** A newer version of this replaceable/addressable event is stored; this one was not. */
  | { status: 'replaced-older' }
  /** A NIP-09 deletion by the author covers this event; it can never be stored again. */
  | { status: 'deleted' }
  /**
   * A NIP-62 request to vanish covers this event (its author's, or a gift wrap p-tagging the
   * author, created at or before the request): it can never be stored again.
   */
  | { status: 'vanished' }
  /** The store cannot hold this event (e.g. an ephemeral kind); `message` says why. */
  | { status: 'invalid'; message: string };

/** The status names of `SaveOutcome`. */
export type SaveStatus = SaveOutcome['status'];

/** Options of `EventStore.save`. */
export interface SaveOptions {
  /** Checked between transactions; once aborted, `save` rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Who is asking, for privileged kinds (e.g. NIP-04/NIP-59 DMs): events whose kind is in
 * `privilegedKinds` are visible only when their author or one of their `p` tags is one of
 * `pubkeys`. Applied in SQL, so limits and counts see the same events the viewer may see.
 */
export interface StoreViewer {
  /** The pubkeys the connection has authenticated as; empty when anonymous. */
  pubkeys: readonly string[];
  /** Kinds restricted to their author and p-tagged pubkeys. Empty: no restriction. */
  privilegedKinds: readonly number[];
}

/** Options of `EventStore.query`. */
export interface QueryOptions {
  /** The effective limit (already defaulted and capped by the caller); 0 yields nothing. */
  limit: number;
  /** Stops paging; the iteration then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Rows fetched per round trip. Default `DEFAULT_PAGE_SIZE`. */
  pageSize?: number;
  /**
   * Bytes of raw JSON per round trip: a page ends with the row that reaches it (at least one
   * row), whatever `pageSize` says. Default `DEFAULT_PAGE_MAX_BYTES`.
   */
  pageMaxBytes?: number;
  /** Bounds of a NIP-50 search; a search over them rejects with `QueryInputError`. Default: the relay's. */
  search?: SearchLimits;
  /** Current time in seconds, for NIP-40 expiration. Default: the clock. */
  now?: number;
  /** Privacy predicate for privileged kinds; absent: no restriction. */
  viewer?: StoreViewer;
}

/** Options of `EventStore.count`. */
export interface CountOptions {
  signal?: AbortSignal;
  /** As in `QueryOptions`. */
  search?: SearchLimits;
  /** Current time in seconds, for NIP-40 expiration. Default: the clock. */
  now?: number;
  viewer?: StoreViewer;
}

/** One stored event as the query streams it: its id and its original JSON text. */
export interface StoredEvent {
  id: string;
  raw: string;
}

/** Rows fetched per round trip when `QueryOptions.pageSize` is not given. */
export const DEFAULT_PAGE_SIZE = 500;

/** Bytes of raw JSON per round trip when `QueryOptions.pageMaxBytes` is not given (1 MiB). */
export const DEFAULT_PAGE_MAX_BYTES = 1 << 20;
