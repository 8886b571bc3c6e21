/**
 * Test fixtures shared by the gateway's tests: signed events, fake seams and a WebSocket client
 * that collects frames. Not exported from the package.
 */
import { loadConfig } from '@nrelay/config';
import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import { signedRaw } from '@nrelay/protocol/testing';
import { createMemoryFanoutBus, type FanoutBus } from '@nrelay/seams/fanout';
import type { IngestClient, IngestRequest, IngestResult } from '@nrelay/seams/ingest';
import type { QueryClient, QueryRequest } from '@nrelay/seams/query';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { createGateway, type Gateway, type GatewayDeps } from './gateway.js';

/** A fixed test key pair. */
const SECRET_KEY = Uint8Array.from({ length: 32 }, (_, i) => i + 1);

/**
 * Builds and signs an event with the fixed key (or `secretKey`); fields not given get defaults
 * (kind 1, now, no tags, empty content). The one signing helper of the tree,
 * `@nrelay/protocol/testing`'s `signedRaw`, does the work.
 */
export function signEvent(
  fields: Partial<Omit<NostrEvent, 'id' | 'sig' | 'pubkey'>>,
  secretKey: Uint8Array = SECRET_KEY,
): RawEvent {
  return signedRaw(fields, secretKey);
}

/** The x-only public key of the fixed test key, hex. */
export const PUBKEY = signEvent({}).event.pubkey;

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

  /** Resolves with the n-th (0-based) query call once it has been made. */
  async call(n: number): Promise<QueryCall> {
    while (this.calls.length <= n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.calls[n]!;
  }

  async close(): Promise<void> {}
}

/** A relay message as received by {@link TestClient}. */
export type Received = [string, ...unknown[]];

/** A ws client that keeps every text frame it receives and lets the test wait for one. */
export class TestClient {
  readonly received: Received[] = [];
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)) as Received);
      this.wakeAll();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wakeAll();
    });
    ws.on('error', () => undefined);
  }

  /** Connects to a running gateway. */
  static connect(port: number, headers?: Record<string, string>): Promise<TestClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, headers === undefined ? undefined : { headers });
    const client = new TestClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  private wakeAll(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Sends a message (JSON-encoded unless already a string). */
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Waits for the first received message (from index `from`) satisfying `match`. */
  async next(match: (m: Received) => boolean, from = 0, timeoutMs = 2000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out; received ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  /** Waits for the socket to close; resolves with the close code. */
  async closed(timeoutMs = 2000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === undefined) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.closeCode;
  }

  /** Received messages with the given verb (and subscription id). */
  all(verb: string, subId?: string): Received[] {
    return this.received.filter((m) => m[0] === verb && (subId === undefined || m[1] === subId));
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A gateway on 127.0.0.1 and an ephemeral port, with fake ingest and query and a memory bus. */
export interface TestRelay {
  gateway: Gateway;
  port: number;
  ingest: FakeIngest;
  query: FakeQuery;
  fanout: FanoutBus;
  /** Publishes an event on the bus as ingest would after accepting it. */
  publish(raw: RawEvent): Promise<void>;
  connect(): Promise<TestClient>;
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
  const clients: TestClient[] = [];
  return {
    gateway,
    port,
    ingest,
    query,
    fanout,
    publish: (raw) => fanout.publish({ v: 1, event: raw.event, raw: raw.raw, acceptedAt: Date.now() }),
    async connect() {
      const client = await TestClient.connect(port);
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.ws.terminate();
      await gateway.close(200);
    },
  };
}
