import type { IncomingMessage } from 'node:http';
import { register } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { setTelemetryShutdown } from './lifecycle.js';

/** Incoming requests that are probes or scrapes, not work: never traced. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

function untracedRequest(req: IncomingMessage): boolean {
  return UNTRACED_PATHS.has((req.url ?? '/').split('?', 1)[0] ?? '/');
}

/**
 * Starts the OpenTelemetry Node SDK: exporter, sampler, propagators, resource, service name and
 * diagnostics all come from the standard OTEL_* variables (OTLP over http/protobuf by default).
 * Only http, pg and ioredis are instrumented; database and Redis commands are recorded only
 * inside a trace, so BullMQ's polling and the readiness probes do not flood the backend.
 * Metrics stay on the relay's own Prometheus endpoint; no OTel log pipeline is started (logs
 * are pino, carrying trace ids).
 */
export async function startTracing(): Promise<void> {
  // ESM imports of the instrumented modules go through import-in-the-middle; nothing else does.
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, {
    data: { include: ['pg', 'ioredis', 'http', 'https', 'node:http', 'node:https'] },
  });
  const sdk = new NodeSDK({
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: untracedRequest }),
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  setTelemetryShutdown(() => sdk.shutdown());
}
