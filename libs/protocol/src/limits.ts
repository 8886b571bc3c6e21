/**
 * Size limits the parser enforces. Each one is a named relay setting with a default and, where
 * NIP-11 defines one, a `limitation` field.
 */

/** Limits applied while parsing a client frame; see `DEFAULT_PARSE_LIMITS` for the defaults. */
export interface ParseLimits {
  /** Longest subscription id in UTF-16 code units; NIP-01 caps it at 64, larger values are clamped. */
  maxSubIdLength: number;
  /** Most filters one REQ or COUNT may carry (NIP-11 `max_filters`). */
  maxFilters: number;
  /** Most tags one event may carry (NIP-11 `max_event_tags`). */
  maxTags: number;
  /** Longest event content in UTF-16 code units (NIP-11 `max_content_length`). */
  maxContentLength: number;
  /** Longest single tag element in UTF-16 code units; unset means only the frame size bounds it. */
  maxTagValueLength?: number;
  /** Longest NIP-50 `search` of a filter in UTF-16 code units (NIP-11 `nrelay_max_search_length`). */
  maxSearchLength: number;
  /** Most terms one `search` may hold, counted by `searchTermCount` (NIP-11 `nrelay_max_search_terms`). */
  maxSearchTerms: number;
}

/** NIP-01 hard cap on subscription id length; `maxSubIdLength` is never allowed above it. */
export const MAX_SUBID_LENGTH = 64;

/**
 * Default parse limits: 64-char sub ids, 20 filters, 2500 tags, 100 KiB content and tag
 * elements, searches of at most 256 characters and 16 terms.
 */
export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = {
  maxSubIdLength: MAX_SUBID_LENGTH,
  maxFilters: 20,
  maxTags: 2500,
  maxContentLength: 102400,
  maxTagValueLength: 102400,
  maxSearchLength: 256,
  maxSearchTerms: 16,
};
