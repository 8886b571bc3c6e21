/**
 * The SDK's shutdown, kept on a process-wide symbol: the register module and the service's
 * own copy of this package may be different module instances, but they share `globalThis`.
 */
const SHUTDOWN = Symbol.for('nrelay.telemetry.shutdown');

type Holder = { [SHUTDOWN]?: () => Promise<void> };

/** Records how to flush and stop the tracing SDK (called by the register module). */
export function setTelemetryShutdown(shutdown: () => Promise<void>): void {
  (globalThis as Holder)[SHUTDOWN] = shutdown;
}

/**
 * Exports the spans still buffered and stops the SDK, waiting at most `timeoutMs`; a no-op
 * when tracing is off. Services call it last, right before exiting.
 */
export async function flushTelemetry(timeoutMs = 2_000): Promise<void> {
  const shutdown = (globalThis as Holder)[SHUTDOWN];
  if (shutdown === undefined) return;
  (globalThis as Holder)[SHUTDOWN] = undefined;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    shutdown().catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
