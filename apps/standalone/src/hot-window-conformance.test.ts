import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryAccessChangeBus } from '@nrelay/access';
import { HotWindow, HotWindowFeed, type HotWindowQueryStats, withHotWindow } from '@nrelay/gateway';
import { createQueryEngine } from '@nrelay/query';
import { createMemoryFanoutBus } from '@nrelay/seams/fanout';
import { type QuerySetup, type QuerySubject, queryConformance } from '@nrelay/seams/query/conformance';
import { pgliteBackend } from '@nrelay/store/testing';

// The QueryClient contract, unchanged, on the gateway's hot window in front of the query
// engine, as composeGateway puts them together (ADR 0018): warmed from the engine over a fresh
// store, once holding the whole store (every filter but search answered from memory) and once
// with a budget that holds about half of it (filters split between the window and the engine).

const silent = { info() {}, warn() {} };

async function waitHot(window: HotWindow, feed: HotWindowFeed): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (window.state !== 'hot' || feed.warming) {
    if (Date.now() > deadline) throw new Error(`hot window never warmed: ${window.coldReason}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function hotWindowSubject(budgetBytes: number, stats: HotWindowQueryStats) {
  return async (setup: QuerySetup): Promise<QuerySubject> => {
    const opened = await pgliteBackend.open();
    await opened.store.save([...setup.events]);
    const engine = createQueryEngine({
      store: opened.store,
      privilegedKinds: setup.privilegedKinds,
      limits: setup.limits,
    });
    const window = new HotWindow({
      budgetBytes,
      privilegedKinds: setup.privilegedKinds,
      defaultLimit: setup.limits.defaultLimit,
      maxLimit: setup.limits.maxLimit,
    });
    const feed = new HotWindowFeed({
      window,
      query: engine,
      fanout: createMemoryFanoutBus(),
      accessChanges: createMemoryAccessChangeBus(),
      budgetBytes,
      logger: silent,
    });
    feed.start();
    await waitHot(window, feed);
    return {
      client: withHotWindow(engine, window, stats),
      async dispose() {
        feed.close();
        await opened.dispose();
      },
    };
  };
}

const whole: HotWindowQueryStats = { hits: 0, misses: 0 };
const half: HotWindowQueryStats = { hits: 0, misses: 0 };
queryConformance('hot window holding the whole store', hotWindowSubject(64 * 1024 * 1024, whole));
queryConformance('hot window holding about half of the store', hotWindowSubject(20 * 1024, half));

// Both runs went through the window: one that answered nothing would have tested the engine.
test('the conformance runs were answered by the window, and the half one by both', () => {
  assert.ok(whole.hits > 0, `whole store: ${JSON.stringify(whole)}`);
  assert.ok(half.hits > 0 && half.misses > 0, `half the store: ${JSON.stringify(half)}`);
});
