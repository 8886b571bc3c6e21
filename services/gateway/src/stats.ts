import { type AnswerTally, createAnswerTally } from './answer-tally.js';

/** Client verbs counted on the way in, plus frames that never reached a verb handler. */
export type InboundKind =
  | 'EVENT'
  | 'REQ'
  | 'CLOSE'
  | 'COUNT'
  | 'AUTH'
  | 'NEG-OPEN'
  | 'NEG-MSG'
  | 'NEG-CLOSE'
  | 'invalid'
  | 'binary'
  | 'too-large';

/** Relay verbs counted on the way out. */
export type OutboundKind =
  | 'EVENT'
  | 'OK'
  | 'EOSE'
  | 'CLOSED'
  | 'NOTICE'
  | 'AUTH'
  | 'COUNT'
  | 'NEG-MSG'
  | 'NEG-ERR';

/** Plain counters of one gateway; metrics exporters read them later. */
export interface GatewayCounters {
  messagesIn: Record<InboundKind, number>;
  messagesOut: Record<OutboundKind, number>;
  slowConsumerDisconnects: number;
  connectionsAccepted: number;
  connectionsRejected: number;
  /** OK and CLOSED answers by reason prefix (accepted/refused events, rate limits). */
  answers: AnswerTally;
}

/** A snapshot returned by `Gateway.stats()`. */
export interface GatewayStats extends GatewayCounters {
  /** Open WebSocket connections. */
  connections: number;
  /** Live subscriptions in the index plus those still in their stored phase. */
  subscriptions: number;
  /** EVENTs handed to ingest and not answered yet. */
  pendingSubmits: number;
  /** Stored queries (REQ stored phases, COUNTs) holding a query slot. */
  querySlotsInUse: number;
  /** Stored queries waiting for a query slot. */
  queriesWaiting: number;
}

/** Fresh zeroed counters. */
export function createCounters(): GatewayCounters {
  return {
    messagesIn: {
      EVENT: 0,
      REQ: 0,
      CLOSE: 0,
      COUNT: 0,
      AUTH: 0,
      'NEG-OPEN': 0,
      'NEG-MSG': 0,
      'NEG-CLOSE': 0,
      invalid: 0,
      binary: 0,
      'too-large': 0,
    },
    messagesOut: {
      EVENT: 0,
      OK: 0,
      EOSE: 0,
      CLOSED: 0,
      NOTICE: 0,
      AUTH: 0,
      COUNT: 0,
      'NEG-MSG': 0,
      'NEG-ERR': 0,
    },
    slowConsumerDisconnects: 0,
    connectionsAccepted: 0,
    connectionsRejected: 0,
    answers: createAnswerTally(),
  };
}
