import { isEphemeral, type RawEvent, type SignatureVerifier } from '@nrelay/protocol';
import type { FanoutBus } from '@nrelay/seams/fanout';
import { type IngestRequest, type IngestResult, SHUTTING_DOWN } from '@nrelay/seams/ingest';
import { relayTracer } from '@nrelay/telemetry';
import type { Logger } from 'pino';
import { policyStage } from './stages/policy.js';
import { publishStage } from './stages/publish.js';
import { replyFor } from './stages/reply.js';
import { type EventWriter, WriteBatcher } from './stages/store.js';
import { chooseVerifier } from './stages/verifiers.js';
import { verifyStage } from './stages/verify.js';
import {
  observePipeline,
  observePublisher,
  observeWriter,
  traceStoreWrite,
  traceVerifier,
} from './telemetry.js';
import type { IngestHooks, IngestPipeline, IngestPolicy } from './types.js';

/** What the ingest pipeline is built from. */
export interface IngestDeps {
  store: EventWriter;
  fanout: FanoutBus;
  policy: IngestPolicy;
  logger: Logger;
  /** Schnorr verifier; default `chooseVerifier()` (native when built, else WASM). */
  verifier?: SignatureVerifier;
  hooks?: Partial<IngestHooks>;
  /** Most events per store transaction (default 256). */
  maxBatch?: number;
  /** Store transactions in flight at once (default 1). */
  writers?: number;
  /**
   * Read replicas on: the primary's WAL position, read after each write batch and carried by
   * the fanout messages of its events (ADR 0024). Absent: messages carry none.
   */
  walPosition?: () => Promise<string>;
  /** Clock in milliseconds, for tests. */
  now?: () => number;
}

const SERVER_ERROR: IngestResult = { ok: false, reason: 'error: could not save the event, try again later' };

/**
 * Builds the pipeline every ingest path runs (the standalone relay calls it directly, the
 * BullMQ worker calls it per job). OK true is answered only after the event is committed and
 * its publish to the fanout is done (or failed); ephemeral events are verified and published,
 * never stored.
 */
export function createIngestPipeline(deps: IngestDeps): IngestPipeline {
  // Metrics always; spans only when tracing is on (each wrapper is a no-op otherwise).
  const tracer = relayTracer();
  const verifier = traceVerifier(deps.verifier ?? chooseVerifier(), tracer);
  const hooks: IngestHooks = {
    rejectEvent: deps.hooks?.rejectEvent ?? [],
    onEventSaved: deps.hooks?.onEventSaved ?? [],
    onEphemeralEvent: deps.hooks?.onEphemeralEvent ?? [],
  };
  const now = deps.now ?? Date.now;
  const batcher = new WriteBatcher(observeWriter(deps.store, tracer), {
    maxBatch: deps.maxBatch ?? 256,
    writers: deps.writers ?? 1,
    ...(deps.walPosition
      ? {
          walPosition: deps.walPosition,
          onWalPositionError: (err: unknown) =>
            deps.logger.warn({ err }, 'could not read the WAL position; gateways will read the primary'),
        }
      : {}),
  });
  const write = traceStoreWrite((event: RawEvent) => batcher.write(event), tracer);
  const fanout = observePublisher(deps.fanout, tracer);
  let closed = false;

  /** Resolves once the publish is done or has failed (logged): it never rejects. */
  function publish(request: IngestRequest, acceptedAt: number, lsn?: string): Promise<void> {
    return publishStage(fanout, request.event, acceptedAt, request.trace, lsn).catch((err: unknown) => {
      deps.logger.error(
        { err, event: request.event.event.id },
        'fanout publish failed; event is stored but was not delivered live',
      );
    });
  }

  function observe(list: IngestHooks['onEventSaved'], request: IngestRequest): void {
    for (const hook of list) {
      try {
        hook(request.event.event, request);
      } catch (err) {
        deps.logger.error({ err, event: request.event.event.id }, 'ingest hook threw');
      }
    }
  }

  async function process(request: IngestRequest): Promise<IngestResult> {
    if (closed) return SHUTTING_DOWN;
    const { event } = request.event;
    let rejected =
      verifyStage(event, verifier) ??
      policyStage(event, request, deps.policy, hooks, Math.floor(now() / 1000), deps.logger);
    // Awaited only when a rejectEvent hook answered asynchronously.
    if (rejected instanceof Promise) rejected = await rejected;
    if (rejected) return rejected;

    if (isEphemeral(event.kind)) {
      void publish(request, now());
      observe(hooks.onEphemeralEvent, request);
      return { ok: true, reason: '' };
    }
    let result: IngestResult;
    try {
      const outcome = await write(request.event);
      result = replyFor(outcome);
      if (outcome.status === 'stored') {
        // OK after the publish: every gateway's fence then covers an event OK'd before a REQ
        // (read-your-writes through the hot windows, ADR 0018).
        await publish(request, now(), outcome.lsn);
        observe(hooks.onEventSaved, request);
      } else if (outcome.status === 'duplicate' && request.replay) {
        // An earlier run of this job may have stored it and died before publishing it.
        await publish(request, now(), outcome.lsn);
      }
    } catch (err) {
      deps.logger.error({ err, event: event.id }, 'store write failed');
      result = SERVER_ERROR;
    }
    return result;
  }

  return observePipeline(
    {
      process,
      async close() {
        closed = true;
        await batcher.flushed();
      },
    },
    tracer,
  );
}
