import {
  type IngestClient,
  type IngestHandler,
  type IngestRequest,
  type IngestResult,
  SHUTTING_DOWN,
} from './seam.js';

/**
 * The in-process IngestClient (standalone): a direct call into the handler (the ingest
 * pipeline), with the seam's contract around it, so the gateway sees the same behaviour as over
 * BullMQ: an abort rejects at once with its reason (the handler may still store the event), and
 * after `close()` submits are answered `SHUTTING_DOWN` while the ones in flight finish.
 */
export function createInProcessIngestClient(
  handler: IngestHandler & { close?(): Promise<void> },
): IngestClient {
  let closed = false;
  const inFlight = new Set<Promise<unknown>>();

  function submit(request: IngestRequest, signal: AbortSignal): Promise<IngestResult> {
    if (signal.aborted) return Promise.reject(signal.reason);
    if (closed) return Promise.resolve(SHUTTING_DOWN);
    const work = handler.process(request, signal);
    inFlight.add(work);
    const forget = () => inFlight.delete(work);
    work.then(forget, forget);
    return new Promise<IngestResult>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (result) => {
          signal.removeEventListener('abort', onAbort);
          resolve(result);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  return {
    submit,
    async close() {
      closed = true;
      await Promise.allSettled([...inFlight]);
      await handler.close?.();
    },
  };
}
