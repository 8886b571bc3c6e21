import { after, before } from 'node:test';
import { connectTestRedis, deleteKeys, TEST_REDIS_TARGET, uniquePrefix } from '@nrelay/redis/testing';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import {
  createBullmqIngestClient,
  createInProcessIngestClient,
  startIngestWorker,
} from '@nrelay/seams/ingest';
import { type IngestSubject, ingestConformance } from '@nrelay/seams/ingest/conformance';
import { pgliteBackend, postgresBackend, type TestBackend, type TestStore } from '@nrelay/store/testing';
import { pino } from 'pino';
import { createIngestPipeline } from './pipeline.js';

// The IngestClient contract, unchanged, on both clients wired to the real pipeline on a real
// store: in process on PGlite (standalone), and over BullMQ to the worker on a real Redis and a
// fresh Postgres database (the cluster).

const logger = pino({ level: 'silent' });
const prefix = uniquePrefix();
let admin: Awaited<ReturnType<typeof connectTestRedis>>;
let queues = 0;
before(async () => {
  admin = await connectTestRedis();
});
after(async () => {
  await deleteKeys(admin, prefix);
  admin.disconnect();
});

async function pipelineOn(backend: TestBackend) {
  const opened: TestStore = await backend.open();
  const pipeline = createIngestPipeline({
    store: opened.store,
    fanout: createMemoryFanoutBus(),
    logger,
    policy: { createdAtLowerLimit: 0, createdAtUpperLimit: 900, minPowDifficulty: 0 },
  });
  async function stored(id: string): Promise<string | undefined> {
    for await (const page of opened.store.query({ ids: [id] }, { limit: 1 })) return page[0]?.raw;
    return undefined;
  }
  return { opened, pipeline, stored };
}

ingestConformance('in-process', async (): Promise<IngestSubject> => {
  const { opened, pipeline, stored } = await pipelineOn(pgliteBackend);
  // The in-process client closes the pipeline with itself.
  return { client: createInProcessIngestClient(pipeline), stored, dispose: () => opened.dispose() };
});

ingestConformance('bullmq', async (): Promise<IngestSubject> => {
  const { opened, pipeline, stored } = await pipelineOn(postgresBackend);
  const queueName = `ingest-${queues++}`;
  const worker = startIngestWorker({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    concurrency: 8,
    pipeline,
    logger,
  });
  const client = createBullmqIngestClient({
    target: TEST_REDIS_TARGET,
    queueName,
    prefix,
    gatewayId: `gw-${queueName}`,
    logger,
    replyTimeoutMs: 20_000,
  });
  await client.ready();
  return {
    client,
    stored,
    async dispose() {
      await worker.close();
      await pipeline.close();
      await opened.dispose();
    },
  };
});
