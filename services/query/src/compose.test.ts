import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '@nrelay/config';
import type { Filter } from '@nrelay/protocol';
import type { QueryRequest } from '@nrelay/seams/query';
import type { StoreViewer } from '@nrelay/store';
import { composeQueryEngine } from './compose.js';
import type { EventReader } from './engine.js';

type ReadOptions = Parameters<EventReader['query']>[1];

/** A reader that records the options of every call; each filter's `ids` are its rows. */
function recordingReader() {
  const queries: Array<{ filter: Filter; options: ReadOptions }> = [];
  const counts: Array<{ viewer: StoreViewer | undefined }> = [];
  const reader: EventReader = {
    async *query(filter, options) {
      queries.push({ filter, options });
      const ids = (filter.ids ?? []).slice(0, options.limit);
      if (ids.length > 0) yield ids.map((id) => ({ id, raw: `{"id":"${id}"}` }));
    },
    async count(filters, options) {
      counts.push({ viewer: options?.viewer });
      return filters.length;
    },
  };
  return { reader, queries, counts };
}

const ENV = {
  DEFAULT_LIMIT: '3',
  MAX_LIMIT: '5',
  QUERY_PAGE_SIZE: '40',
  QUERY_PAGE_MAX_BYTES: '4096',
  MAX_SEARCH_LENGTH: '64',
  MAX_SEARCH_TERMS: '4',
  PRIVILEGED_KINDS: '4,1059',
};

function request(filters: Filter[], authedPubkeys: string[] = []): QueryRequest {
  return { v: 1, filters, viewer: { authedPubkeys } };
}

async function drain(iterable: AsyncIterable<readonly string[]>): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of iterable) out.push(...batch);
  return out;
}

test('the engine caps each filter at DEFAULT_LIMIT / MAX_LIMIT and pages by QUERY_PAGE_* and the search bounds', async () => {
  const { reader, queries } = recordingReader();
  const engine = composeQueryEngine(loadConfig(ENV), reader);
  const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((c) => c.repeat(64));
  const signal = new AbortController().signal;
  // Seven ids without a limit: limited by its ids (a REQ by ids is served whole), capped at MAX_LIMIT.
  const byIds = await drain(engine.query(request([{ ids }]), signal));
  const tooMany = await drain(engine.query(request([{ ids, limit: 50 }]), signal));
  // No ids and no limit: DEFAULT_LIMIT.
  await drain(engine.query(request([{ kinds: [1] }]), signal));
  assert.equal(byIds.length, 5);
  assert.equal(tooMany.length, 5);
  assert.deepEqual(
    queries.map((q) => q.options.limit),
    [5, 5, 3],
  );
  for (const { options } of queries) {
    assert.equal(options.pageSize, 40);
    assert.equal(options.pageMaxBytes, 4096);
    assert.deepEqual(options.search, { maxSearchLength: 64, maxSearchTerms: 4 });
  }
  await engine.close();
});

test('PRIVILEGED_KINDS reaches every read as the viewer; empty disables the check', async () => {
  const viewer = 'ab'.repeat(32);
  const on = recordingReader();
  const engine = composeQueryEngine(loadConfig(ENV), on.reader);
  const signal = new AbortController().signal;
  await drain(engine.query(request([{ kinds: [4] }], [viewer]), signal));
  assert.equal(await engine.count(request([{ kinds: [4] }], [viewer]), signal), 1);
  const expected = { pubkeys: [viewer], privilegedKinds: [4, 1059] };
  assert.deepEqual(on.queries[0]?.options.viewer, expected);
  assert.deepEqual(on.counts[0]?.viewer, expected);

  const off = recordingReader();
  const open = composeQueryEngine(loadConfig(ENV, { PRIVILEGED_KINDS: [] }), off.reader);
  await drain(open.query(request([{ kinds: [4] }], [viewer]), signal));
  assert.equal(off.queries.length, 1);
  assert.equal(off.queries[0]?.options.viewer, undefined);
  await engine.close();
  await open.close();
});

test('an invalid PRIVILEGED_KINDS fails the composition', () => {
  const { reader } = recordingReader();
  assert.throws(
    () => composeQueryEngine(loadConfig({ ...ENV, PRIVILEGED_KINDS: '4,dm' }), reader),
    ConfigError,
  );
});
