/**
 * Span attribute names the relay uses. Identifiers and counts only: never event content,
 * tags or signatures.
 */
export const ATTR = {
  eventId: 'nostr.event.id',
  eventKind: 'nostr.event.kind',
  subscriptionId: 'nostr.subscription.id',
  filterCount: 'nostr.filter.count',
  resultCount: 'nostr.result.count',
  /** The OK/CLOSED reason prefix (`duplicate`, `invalid`, ...), `none` for a plain OK true. */
  outcome: 'nostr.outcome',
  accepted: 'nostr.accepted',
  connectionId: 'nrelay.connection.id',
  gatewayId: 'nrelay.gateway.id',
  batchSize: 'nrelay.store.batch_size',
  /** Milliseconds from acceptance to delivery (fanout) or from enqueue to start (queue). */
  delayMs: 'nrelay.delay_ms',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperation: 'messaging.operation.type',
} as const;
