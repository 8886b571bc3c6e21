/**
 * Test helpers: an in-process tracer with an in-memory exporter for unit tests, and a local
 * OTLP/HTTP receiver (JSON protocol) that collects the spans real processes export.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { trace } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

/** An in-process tracer provider whose finished spans can be read back. */
export interface MemoryTracing {
  readonly exporter: InMemorySpanExporter;
  /** Finished spans so far, oldest first. */
  spans(): ReturnType<InMemorySpanExporter['getFinishedSpans']>;
  /** Forgets the spans collected so far. */
  reset(): void;
  /** Unregisters the provider (tracing is off again in this process). */
  stop(): Promise<void>;
}

/**
 * Registers a global tracer provider (AsyncLocalStorage context, W3C propagation) that keeps
 * every finished span in memory. Install it before building what is to be traced.
 */
export function installMemoryTracing(): MemoryTracing {
  const exporter = new InMemorySpanExporter();
  const provider = new node.NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  provider.register();
  return {
    exporter,
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async stop() {
      await provider.shutdown();
      trace.disable();
    },
  };
}

/** One span as received over OTLP, flattened. */
export interface ReceivedSpan {
  /** `service.name` of the exporting process. */
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  links: Array<{ traceId: string; spanId: string }>;
}

/** A running OTLP receiver. */
export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporters append /v1/traces). */
  readonly url: string;
  /** Every span received so far. */
  spans(): ReceivedSpan[];
  /** Resolves with the spans once `done(spans)` holds, or rejects after `timeoutMs`. */
  waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
};
type KeyValue = { key: string; value?: AnyValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: KeyValue[];
  links?: Array<{ traceId: string; spanId: string }>;
}
interface OtlpExport {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
  }>;
}

function attributeValue(v: AnyValue | undefined): string | number | boolean {
  if (v === undefined) return '';
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.boolValue !== undefined) return v.boolValue;
  return '';
}

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list ?? []) out[kv.key] = attributeValue(kv.value);
  return out;
}

/** Flattens one OTLP/JSON trace export request. */
export function flattenOtlpExport(body: OtlpExport): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const service = String(attributesOf(rs.resource?.attributes)['service.name'] ?? '');
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          service,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? '',
          name: s.name,
          kind: s.kind ?? 0,
          attributes: attributesOf(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        });
      }
    }
  }
  return out;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

/**
 * Starts an OTLP/HTTP receiver on `host` (default 127.0.0.1) and a free port. Point processes
 * at it with OTEL_EXPORTER_OTLP_ENDPOINT=url and OTEL_EXPORTER_OTLP_PROTOCOL=http/json;
 * protobuf bodies are refused with 415.
 */
export async function startOtlpReceiver(host = '127.0.0.1'): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const server = createServer((req, res) => {
    if (req.method !== 'POST' || (req.url ?? '').split('?', 1)[0] !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    if (!(req.headers['content-type'] ?? '').includes('json')) {
      res.writeHead(415).end();
      return;
    }
    bodyOf(req).then(
      (body) => {
        received.push(...flattenOtlpExport(JSON.parse(body.toString('utf8')) as OtlpExport));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    spans: () => [...received],
    async waitFor(done, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(received)) {
        if (Date.now() > deadline) throw new Error(`spans not received within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return [...received];
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
