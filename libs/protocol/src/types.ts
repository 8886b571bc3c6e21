/**
 * NIP-01 wire types. Client and relay messages are labelled tuples exactly as they travel;
 * internal messages (job data, bus payloads, query requests) live in @nrelay/seams.
 */

/** A Nostr event as defined by NIP-01. */
export interface NostrEvent {
  id: string;
  pubkey: string;
  created_at: number;
  kind: number;
  tags: string[][];
  content: string;
  sig: string;
}

/**
 * A parsed event together with the exact JSON text it arrived as. The text is what gets stored
 * and sent to subscribers: no re-serialization on the hot path.
 */
export interface RawEvent {
  event: NostrEvent;
  raw: string;
}

/** A NIP-01 filter. Tag filters are `#` + one ASCII letter. `search` is NIP-50. */
export interface Filter {
  ids?: string[];
  authors?: string[];
  kinds?: number[];
  since?: number;
  until?: number;
  limit?: number;
  search?: string;
  [tag: `#${string}`]: string[] | undefined;
}

// ---- client → relay ----
export type ClientEvent = ['EVENT', RawEvent];
export type ClientReq = ['REQ', string, ...Filter[]];
export type ClientCount = ['COUNT', string, ...Filter[]];
export type ClientClose = ['CLOSE', string];
export type ClientAuth = ['AUTH', RawEvent];
/** NIP-77: open (or replace) a negentropy session: sub id, one filter, the first message in hex. */
export type ClientNegOpen = ['NEG-OPEN', string, Filter, string];
/** NIP-77: the next negentropy message of an open session, in hex. */
export type ClientNegMsg = ['NEG-MSG', string, string];
/** NIP-77: end a negentropy session. */
export type ClientNegClose = ['NEG-CLOSE', string];
/** Any message a client may send, after parsing and validation. */
export type ClientMessage =
  | ClientEvent
  | ClientReq
  | ClientCount
  | ClientClose
  | ClientAuth
  | ClientNegOpen
  | ClientNegMsg
  | ClientNegClose;
export type ClientVerb = ClientMessage[0];

// ---- relay → client ----
export type RelayEvent = ['EVENT', string, NostrEvent];
export type RelayOk = ['OK', string, boolean, string];
export type RelayEose = ['EOSE', string];
export type RelayClosed = ['CLOSED', string, string];
export type RelayNotice = ['NOTICE', string];
export type RelayAuth = ['AUTH', string];
export type RelayCount = ['COUNT', string, { count: number; approximate?: boolean }];
/** Any message the relay sends. EVENT frames are normally built from raw text, see `eventFrame`. */
export type RelayMessage =
  | RelayEvent
  | RelayOk
  | RelayEose
  | RelayClosed
  | RelayNotice
  | RelayAuth
  | RelayCount;

/** Machine-readable prefixes of OK/CLOSED reasons (NIP-01). */
export type ReasonPrefix =
  | 'duplicate'
  | 'pow'
  | 'blocked'
  | 'rate-limited'
  | 'invalid'
  | 'restricted'
  | 'auth-required'
  | 'error'
  | 'unsupported';

/** NIP-11 relay information document. */
export interface RelayInformation {
  name?: string;
  description?: string;
  banner?: string;
  icon?: string;
  pubkey?: string;
  self?: string;
  contact?: string;
  supported_nips: number[];
  software: string;
  version: string;
  terms_of_service?: string;
  limitation: RelayLimitation;
  retention?: unknown[];
  relay_countries?: string[];
  posting_policy?: string;
  /**
   * Not part of NIP-11 (whose `limitation` has no rate fields): this relay's token-bucket rate
   * limits, `{ rate: tokens per second, burst }` per limit; present only when some are on.
   */
  nrelay_rate_limits?: Record<string, { rate: number; burst: number }>;
}

/** NIP-11 `limitation` object. */
export interface RelayLimitation {
  max_message_length?: number;
  max_subscriptions?: number;
  max_filters?: number;
  max_limit?: number;
  default_limit?: number;
  max_subid_length?: number;
  max_event_tags?: number;
  max_content_length?: number;
  min_pow_difficulty?: number;
  auth_required?: boolean;
  payment_required?: boolean;
  restricted_writes?: boolean;
  created_at_lower_limit?: number;
  created_at_upper_limit?: number;
  [key: string]: number | boolean | undefined;
}
