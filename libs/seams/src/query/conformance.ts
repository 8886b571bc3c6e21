/**
 * The query seam's conformance suite (`@nrelay/seams/query/conformance`): the QueryClient
 * contract (./seam.ts), declared as node:test tests and run unchanged against every client over
 * a real store (services/query/src/conformance.test.ts: the query engine itself, and the HTTP
 * client talking to the query service's HTTP server).
 */
import assert from 'node:assert/strict';
import { after, before, suite, test } from 'node:test';
import {
  type Filter,
  ITEM_RECORD_BYTES,
  matchFilter,
  type NostrEvent,
  type RawEvent,
  type SearchLimits,
} from '@nrelay/protocol';
import { signedRaw } from '@nrelay/testkit';
import { InvalidQueryError } from './errors.js';
import type { QueryClient, QueryRequest } from './seam.js';

/** What the subject is built from: the events to store first, and the engine's settings. */
export interface QuerySetup {
  /** Stored before the client is handed out, raw text as given. */
  events: readonly RawEvent[];
  /** Kinds readable only by their author and p-tagged pubkeys (as the services pass them). */
  privilegedKinds: readonly number[];
  limits: { defaultLimit: number; maxLimit: number; pageSize: number; search: SearchLimits };
}

/** A QueryClient over a fresh store holding `setup.events`. */
export interface QuerySubject {
  client: QueryClient;
  /** Closes everything behind the client (server, store); the suite closes the client first. */
  dispose(): Promise<void>;
}

/** Builds a fresh subject: a new, empty store seeded with the setup's events each call. */
export type QuerySubjectFactory = (setup: QuerySetup) => Promise<QuerySubject>;

const TEST_TIMEOUT_MS = 30_000;
const LIVE = new AbortController().signal;

/** Fixed keys (any scalar below the curve order is one): authors the filters can name. */
const key = (n: number) => new Uint8Array(32).fill(n);
const [ALICE_SK, BOB_SK, CAROL_SK] = [key(1), key(2), key(3)];
const BASE = 1_700_000_000;

/**
 * The event's text as a client may have sent it: other key order, spaces, and an escape
 * (`\u00e9`) where JSON.stringify writes the character. It must come back exactly so. (No
 * literal newline: the HTTP stream turns those, JSON whitespace, into spaces; see ./ndjson.ts.)
 */
function unusualText(event: NostrEvent): string {
  const keys = ['content', 'tags', 'sig', 'kind', 'created_at', 'pubkey', 'id'] as const;
  const body = keys.map((k) => `${JSON.stringify(k)} : ${JSON.stringify(event[k])}`).join(' ,\t');
  return `{ ${body.replace(/\u00e9/g, '\\u00e9')} }`;
}

function note(
  sk: Uint8Array,
  n: number,
  template: { kind?: number; content?: string; tags?: string[][] } = {},
) {
  const e = signedRaw({ content: `note ${n} caf\u00e9`, ...template, created_at: BASE + n }, sk);
  return { event: e.event, raw: unusualText(e.event) };
}

const alice = Array.from({ length: 12 }, (_, i) =>
  note(ALICE_SK, i, { tags: i % 2 === 0 ? [['t', 'even']] : [] }),
);
const bob = Array.from({ length: 30 }, (_, i) =>
  note(BOB_SK, 100 + i, { tags: i % 3 === 0 ? [['t', 'even']] : [] }),
);
const BOB_PUBKEY = bob[0]!.event.pubkey;
const CAROL_PUBKEY = note(CAROL_SK, 0).event.pubkey;
/** A DM (privileged kind 4) from Alice to Bob. */
const dm = note(ALICE_SK, 500, { kind: 4, content: 'secret', tags: [['p', BOB_PUBKEY]] });
const EVENTS: readonly RawEvent[] = [...alice, ...bob, dm];
const ALICE_PUBKEY = alice[0]!.event.pubkey;

const SETUP: QuerySetup = {
  events: EVENTS,
  privilegedKinds: [4],
  // Pages of two rows: every query of more than two results streams several pages.
  limits: { defaultLimit: 20, maxLimit: 25, pageSize: 2, search: { maxSearchLength: 40, maxSearchTerms: 3 } },
};

function request(filters: Filter[], authedPubkeys: string[] = []): QueryRequest {
  return { v: 1, filters, viewer: { authedPubkeys } };
}

/** Every batch of a query, in order. */
async function batches(client: QueryClient, req: QueryRequest): Promise<(readonly string[])[]> {
  const out: (readonly string[])[] = [];
  for await (const batch of client.query(req, LIVE)) out.push(batch);
  return out;
}

const idOf = (raw: string) => (JSON.parse(raw) as NostrEvent).id;

/** A filter's expected ids for this dataset: matches visible to the viewer, newest first, capped. */
function expected(filter: Filter, viewer: readonly string[] = [], limits = SETUP.limits): string[] {
  const visible = (e: NostrEvent) =>
    !SETUP.privilegedKinds.includes(e.kind) ||
    viewer.includes(e.pubkey) ||
    e.tags.some((t) => t[0] === 'p' && viewer.includes(t[1] ?? ''));
  const limit = Math.min(filter.limit ?? limits.defaultLimit, limits.maxLimit);
  return EVENTS.map((e) => e.event)
    .filter((e) => matchFilter(filter, e) && visible(e))
    .sort((a, b) => b.created_at - a.created_at)
    .slice(0, limit)
    .map((e) => e.id);
}

/** `created_at:id` of each packed item record (the NIP-77 item set), in the order sent. */
function unpackItems(packed: Uint8Array): string[] {
  assert.equal(packed.length % ITEM_RECORD_BYTES, 0, 'item records are 40 bytes each');
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += ITEM_RECORD_BYTES) {
    const createdAt = Number(bytes.readBigUInt64BE(at));
    out.push(`${createdAt}:${bytes.subarray(at + 8, at + ITEM_RECORD_BYTES).toString('hex')}`);
  }
  return out;
}

/** Declares the QueryClient conformance tests for one client. */
export function queryConformance(name: string, open: QuerySubjectFactory): void {
  const options = { timeout: TEST_TIMEOUT_MS };

  suite(`${name}: query conformance`, () => {
    let subject: QuerySubject;
    before(async () => {
      subject = await open(SETUP);
    });
    after(async () => {
      await subject.client.close();
      await subject.dispose();
    });

    test(
      'one filter: its matches newest first, capped by its limit, in non-empty batches',
      options,
      async () => {
        for (const filter of [
          { authors: [BOB_PUBKEY], limit: 7 },
          { kinds: [1] },
          { '#t': ['even'], limit: 50 },
        ]) {
          const got = await batches(subject.client, request([filter]));
          assert.ok(
            got.every((b) => b.length > 0),
            'an empty batch',
          );
          assert.deepEqual(got.flat().map(idOf), expected(filter), JSON.stringify(filter));
        }
      },
    );

    test('several filters: the union, each capped by its own limit, no event twice', options, async () => {
      const filters: Filter[] = [
        { authors: [ALICE_PUBKEY], limit: 5 },
        { '#t': ['even'], limit: 9 },
        { ids: [bob[4]!.event.id, alice[1]!.event.id] },
      ];
      const got = (await batches(subject.client, request(filters))).flat().map(idOf);
      assert.equal(new Set(got).size, got.length, 'an event twice');
      const perFilter = filters.map((f) => expected(f));
      assert.deepEqual([...got].sort(), [...new Set(perFilter.flat())].sort());
      // What only one filter matched comes only from that filter's stream: newest first.
      perFilter.forEach((ids, i) => {
        const own = ids.filter((id) => perFilter.every((other, j) => j === i || !other.includes(id)));
        assert.deepEqual(
          got.filter((id) => own.includes(id)),
          own,
          `filter ${i}`,
        );
      });
    });

    test('raw text comes back byte-identical to what was stored', options, async () => {
      const byId = new Map(EVENTS.map((e) => [e.event.id, e.raw]));
      const got = (await batches(subject.client, request([{ kinds: [1], limit: 25 }]))).flat();
      assert.equal(got.length, 25);
      for (const raw of got) assert.equal(raw, byId.get(idOf(raw)));
    });

    test('count() is the number of distinct matches, limits ignored', options, async () => {
      const filters: Filter[] = [{ authors: [ALICE_PUBKEY], limit: 1 }, { '#t': ['even'] }];
      const matches = EVENTS.filter(
        (e) => e.event.kind !== 4 && filters.some((f) => matchFilter(f, e.event)),
      );
      assert.equal(await subject.client.count(request(filters), LIVE), matches.length);
      assert.equal(await subject.client.count(request([{ kinds: [7] }]), LIVE), 0);
    });

    test(
      'a search over the limits rejects with InvalidQueryError, for query and count',
      options,
      async () => {
        for (const search of ['x'.repeat(41), 'one two three four']) {
          const req = request([{ kinds: [1], search }]);
          await assert.rejects(batches(subject.client, req), InvalidQueryError, search);
          await assert.rejects(subject.client.count(req, LIVE), InvalidQueryError, search);
        }
      },
    );

    test('a privileged kind reaches its author and p-tagged parties only', options, async () => {
      const dms = request([{ kinds: [4] }]);
      const asViewer = (pubkeys: string[]) => ({ ...dms, viewer: { authedPubkeys: pubkeys } });
      assert.deepEqual(await batches(subject.client, dms), []);
      assert.deepEqual(await batches(subject.client, asViewer([CAROL_PUBKEY])), []);
      assert.equal(await subject.client.count(asViewer([CAROL_PUBKEY]), LIVE), 0);
      assert.deepEqual((await batches(subject.client, asViewer([BOB_PUBKEY]))).flat(), [dm.raw]);
      assert.deepEqual((await batches(subject.client, asViewer([CAROL_PUBKEY, ALICE_PUBKEY]))).flat(), [
        dm.raw,
      ]);
      assert.equal(await subject.client.count(asViewer([BOB_PUBKEY]), LIVE), 1);
      // The internal unrestricted read (a hot-window warm-up) sees it without being a party,
      // and its limit is its own (not capped by maxLimit, 25 here).
      const internal = { ...dms, viewer: { authedPubkeys: [], unrestricted: true as const } };
      assert.deepEqual((await batches(subject.client, internal)).flat(), [dm.raw]);
      assert.equal(await subject.client.count(internal, LIVE), 1);
      const everything = { ...internal, filters: [{ limit: 1000 }] };
      assert.equal((await batches(subject.client, everything)).flat().length, EVENTS.length);
    });

    test('items(): (created_at, id) of the visible matches, ascending, limits its own', options, async () => {
      const items = async (filter: Filter, limit: number, authedPubkeys: string[] = [], signal = LIVE) =>
        unpackItems(await subject.client.items({ v: 1, filter, viewer: { authedPubkeys }, limit }, signal));
      const ascending = (events: NostrEvent[]) =>
        events
          .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
          .map((e) => `${e.created_at}:${e.id}`);
      const visible = EVENTS.map((e) => e.event).filter((e) => e.kind !== 4);
      // Not capped by maxLimit (25): every visible event.
      assert.deepEqual(await items({}, 1000), ascending(visible));
      assert.equal((await items({ kinds: [1] }, 5)).length, 5);
      const bobs = bob.map((e) => e.event);
      assert.deepEqual(await items({ authors: [BOB_PUBKEY], limit: 3 }, 1000), ascending(bobs.slice(-3)));
      assert.deepEqual(await items({ kinds: [4] }, 10), []);
      assert.deepEqual(await items({ kinds: [4] }, 10, [CAROL_PUBKEY]), []);
      assert.deepEqual(await items({ kinds: [4] }, 10, [BOB_PUBKEY]), ascending([dm.event]));
      const reason = new Error('NEG-CLOSE');
      await assert.rejects(items({}, 10, [], AbortSignal.abort(reason)), (err) => err === reason);
    });

    test('an abort mid-stream rejects the iteration with its reason', options, async () => {
      const controller = new AbortController();
      const reason = new Error('CLOSE from the client');
      const stream = subject.client.query(request([{ authors: [BOB_PUBKEY] }]), controller.signal);
      const it = stream[Symbol.asyncIterator]();
      const first = await it.next();
      assert.equal(first.done, false);
      controller.abort(reason);
      await assert.rejects(it.next(), (err) => err === reason);
      // The client stays usable.
      assert.equal(await subject.client.count(request([{ authors: [BOB_PUBKEY] }]), LIVE), bob.length);
    });
  });

  test(`${name}: after close() query, count and items reject`, options, async () => {
    const subject = await open(SETUP);
    try {
      await subject.client.close();
      await assert.rejects(batches(subject.client, request([{ kinds: [1] }])), /closed/);
      await assert.rejects(subject.client.count(request([{ kinds: [1] }]), LIVE), /closed/);
      const items = { v: 1 as const, filter: {}, viewer: { authedPubkeys: [] }, limit: 10 };
      await assert.rejects(subject.client.items(items, LIVE), /closed/);
    } finally {
      await subject.dispose();
    }
  });
}
