/**
 * Test fixtures shared by the gateway's tests: fake seams and a gateway started on them. The
 * WebSocket client and the signer are `@nrelay/testkit`'s. Not exported from the package.
 */
import { loadConfig } from '@nrelay/config';
import type { RawEvent } from '@nrelay/protocol';
import { createMemoryFanoutBus, type FanoutBus } from '@nrelay/seams/fanout';
import type { IngestClient, IngestRequest, IngestResult } from '@nrelay/seams/ingest';
import type { ItemsRequest, QueryClient, QueryRequest } from '@nrelay/seams/query';
import { RawClient, TEST_KEYS } from '@nrelay/testkit';
import { pino } from 'pino';
import { createGateway, type Gateway, type GatewayDeps } from './gateway.js';

/** The public key `signedRaw` signs with by default (testkit's `TEST_KEYS`), hex. */
export const PUBKEY = TEST_KEYS.pk;

/** An IngestClient that records requests and answers with `answer` (default OK true). */
export class FakeIngest implements IngestClient {
  readonly requests: IngestRequest[] = [];
  answer: (request: IngestRequest) => Promise<IngestResult> = async () => ({ ok: true, reason: '' });

  submit(request: IngestRequest): Promise<IngestResult> {
    this.requests.push(request);
    return this.answer(request);
  }

  async close(): Promise<void> {}
}

/** One call of {@link FakeQuery.query}: the test pushes results and ends it. */
export class QueryCall {
  private readonly items: string[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(
    readonly request: QueryRequest,
    readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.poke());
  }

  /** Items pushed but not yet taken by the gateway. */
  get queued(): number {
    return this.items.length;
  }

  /** Queues one raw event for the stream. */
  push(raw: string): void {
    this.items.push(raw);
    this.poke();
  }

  /** Ends the stream after the queued items. */
  end(): void {
    this.ended = true;
    this.poke();
  }

  /** Makes the stream throw after the queued items. */
  fail(err: unknown): void {
    this.failure = err;
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** The stream the gateway iterates: each pushed event is a batch of its own. */
  async *stream(): AsyncGenerator<readonly string[]> {
    for (;;) {
      if (this.signal.aborted) throw new Error('aborted');
      const next = this.items.shift();
      if (next !== undefined) {
        yield [next];
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/** A QueryClient whose streams are driven by the test; `autoEnd` ends each stream at once. */
export class FakeQuery implements QueryClient {
  readonly calls: QueryCall[] = [];
  autoEnd = false;
  countAnswer: (request: QueryRequest) => Promise<number> = async () => 0;
  private waiters: Array<() => void> = [];

  query(request: QueryRequest, signal: AbortSignal): AsyncIterable<readonly string[]> {
    const call = new QueryCall(request, signal);
    this.calls.push(call);
    if (this.autoEnd) call.end();
    for (const wake of this.waiters.splice(0)) wake();
    return call.stream();
  }

  count(request: QueryRequest): Promise<number> {
    return this.countAnswer(request);
  }

  /** NIP-77 item sets: empty unless a test sets `itemsAnswer`. */
  itemsAnswer: (request: ItemsRequest) => Promise<Uint8Array> = async () => new Uint8Array(0);

  items(request: ItemsRequest): Promise<Uint8Array> {
    return this.itemsAnswer(request);
  }

  /** Resolves with the n-th (0-based) query call once it has been made. */
  async call(n: number): Promise<QueryCall> {
    while (this.calls.length <= n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.calls[n]!;
  }

  async close(): Promise<void> {}
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A gateway on 127.0.0.1 and an ephemeral port, with fake ingest and query and a memory bus. */
export interface TestRelay {
  gateway: Gateway;
  port: number;
  /** The WebSocket URL of the gateway. */
  url: string;
  ingest: FakeIngest;
  query: FakeQuery;
  fanout: FanoutBus;
  /** Publishes an event on the bus as ingest would after accepting it. */
  publish(raw: RawEvent): Promise<void>;
  connect(): Promise<RawClient>;
  close(): Promise<void>;
}

/** Starts a test relay; `settings` override config values, `deps` override dependencies. */
export async function startRelay(
  settings: Record<string, unknown> = {},
  deps: Partial<GatewayDeps> = {},
): Promise<TestRelay> {
  const config = loadConfig({}, { HOST: '127.0.0.1', PORT: 0, SHUTDOWN_GRACE_MS: 500, ...settings });
  const ingest = new FakeIngest();
  const query = new FakeQuery();
  const fanout = createMemoryFanoutBus();
  const gateway = createGateway(config, {
    ingest,
    query,
    fanout,
    logger: pino({ level: 'silent' }),
    gatewayId: 'test-gateway',
    supportedNips: [1, 11, 42, 45],
    software: 'nrelay-test',
    version: '0.0.0',
    ...deps,
  });
  const { port } = await gateway.listen();
  const url = `ws://127.0.0.1:${port}/`;
  const clients: RawClient[] = [];
  return {
    gateway,
    port,
    url,
    ingest,
    query,
    fanout,
    publish: (raw) =>
      fanout.publish(
        { v: 1, event: raw.event, raw: raw.raw, acceptedAt: Date.now() },
        new AbortController().signal,
      ),
    async connect() {
      const client = await RawClient.open(url);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.ws.terminate();
      await gateway.close(200);
    },
  };
}
