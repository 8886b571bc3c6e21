/**
 * `node --import @nrelay/telemetry/register service/dist/main.js`: starts OpenTelemetry
 * tracing before the service's modules load (so http, pg and ioredis can be instrumented),
 * when the OTEL_* variables ask for it. Otherwise it only reads the environment: the SDK is
 * never loaded.
 */
import { tracingRequested } from './config.js';

if (tracingRequested(process.env)) {
  const { startTracing } = await import('./sdk.js');
  await startTracing();
}
