import type { RawEvent } from '@nrelay/protocol';
import type { FanoutBus, FanoutMessage } from '@nrelay/seams/fanout';

/** A publish runs after the commit, for no caller that could stop waiting for it: never aborted. */
const PUBLISH_AFTER_COMMIT = new AbortController().signal;

/**
 * Publish stage: hands an accepted event to every gateway. A failed publish does not undo the
 * commit (the event is durable and queryable); it is reported to the caller for logging.
 */
export async function publishStage(
  fanout: FanoutBus,
  event: RawEvent,
  acceptedAt: number,
  trace?: Record<string, string>,
  lsn?: string,
): Promise<void> {
  const message: FanoutMessage = { v: 1, event: event.event, raw: event.raw, acceptedAt };
  if (trace) message.trace = trace;
  // The read-your-writes bound of the replicas (ADR 0024), when ingest learns positions.
  if (lsn !== undefined) message.lsn = lsn;
  await fanout.publish(message, PUBLISH_AFTER_COMMIT);
}
