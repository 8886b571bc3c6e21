import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatLsn, InvalidQueryError, type QueryClient, type QueryRequest } from '@nrelay/seams/query';
import { createReplicaReads } from './replica-reads.js';

// The routing rules over fake databases; tests/integration/src/cluster-read-replica.test.ts runs
// them on a real streaming replica.

/** An engine that answers its own name, or fails as told. */
function engine(name: string, fail?: () => Error, failAfterFirst = false): QueryClient {
  return {
    async *query() {
      if (fail && !failAfterFirst) throw fail();
      yield [name];
      if (fail) throw fail();
    },
    count: async () => {
      if (fail) throw fail();
      return name.length;
    },
    items: async () => new Uint8Array(),
    close: async () => {},
  };
}

/** A replica whose replay position the test moves. */
function replica(name: string, at: bigint, fail?: () => Error, failAfterFirst = false) {
  const state = { at, reads: 0 };
  return {
    state,
    target: {
      engine: engine(name, fail, failAfterFirst),
      readReplay: async () => {
        state.reads++;
        return { lsn: formatLsn(state.at), lagSeconds: 0 };
      },
    },
  };
}

const silent = { warn() {}, info() {} };
const request = (minLsn?: bigint, unrestricted = false): QueryRequest => ({
  v: 1,
  filters: [{ kinds: [1] }],
  viewer: unrestricted ? { authedPubkeys: [], unrestricted: true } : { authedPubkeys: [] },
  ...(minLsn === undefined ? {} : { minLsn: formatLsn(minLsn) }),
});
const signal = new AbortController().signal;

async function answeredBy(client: QueryClient, r: QueryRequest): Promise<string> {
  const out: string[] = [];
  for await (const batch of client.query(r, signal)) out.push(...batch);
  return out.join(',');
}

function setup(replicas: ReturnType<typeof replica>[], waitMs = 50) {
  return createReplicaReads({
    primary: engine('primary'),
    replicas: replicas.map((r) => r.target),
    waitMs,
    primaryPosition: async () => '0/FFFF',
    logger: silent,
    pollMs: 5,
    unhealthyMs: 60_000,
  });
}

test('no bound or an unrestricted read: the primary; a caught-up replica otherwise, in turn', async () => {
  const a = replica('a', 1000n);
  const b = replica('b', 1000n);
  const reads = setup([a, b]);
  try {
    assert.equal(await answeredBy(reads.client, request()), 'primary');
    assert.equal(await answeredBy(reads.client, request(10n, true)), 'primary');
    const served = [];
    for (let i = 0; i < 4; i++) served.push(await answeredBy(reads.client, request(500n)));
    assert.deepEqual(served.sort(), ['a', 'a', 'b', 'b']);
    assert.equal(await reads.client.count(request(1000n), signal), 1, 'a count on a replica too');
  } finally {
    await reads.close();
  }
});

test('a replica behind the bound is waited for, up to the bound, then the primary answers', async () => {
  const a = replica('a', 100n);
  const reads = setup([a], 2000);
  try {
    setTimeout(() => {
      a.state.at = 600n;
    }, 30);
    assert.equal(await answeredBy(reads.client, request(500n)), 'a', 'caught up within the wait');
  } finally {
    await reads.close();
  }
  const late = replica('late', 100n);
  const short = setup([late], 40);
  try {
    const readsBefore = late.state.reads;
    assert.equal(await answeredBy(short.client, request(500n)), 'primary', 'never caught up');
    assert.ok(late.state.reads > readsBefore + 1, 'its position was read again while waiting');
    assert.equal(await answeredBy(short.client, request(100n)), 'late', 'a lower bound it meets');
  } finally {
    await short.close();
  }
});

test('a replica that is down: that read and the next go to the primary', async () => {
  const down = replica('down', 1000n, () =>
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  );
  const reads = setup([down]);
  try {
    assert.equal(await answeredBy(reads.client, request(10n)), 'primary');
    assert.equal(await reads.client.count(request(10n), signal), 'primary'.length);
  } finally {
    await reads.close();
  }
});

test('a failure after part of the answer, or the query’s own fault, is not redone elsewhere', async () => {
  const midway = replica(
    'mid',
    1000n,
    () => Object.assign(new Error('terminating'), { code: '57P01' }),
    true,
  );
  const reads = setup([midway]);
  try {
    await assert.rejects(answeredBy(reads.client, request(10n)), /terminating/);
  } finally {
    await reads.close();
  }
  const invalid = replica('inv', 1000n, () => new InvalidQueryError('search too long'));
  const other = setup([invalid]);
  try {
    await assert.rejects(answeredBy(other.client, request(10n)), InvalidQueryError);
  } finally {
    await other.close();
  }
});

test('a server that is not a standby is set aside: reads go to the primary without waiting', async () => {
  const notStandby = {
    engine: engine('primary-by-mistake'),
    readReplay: async () => ({ lsn: undefined, lagSeconds: undefined }),
  };
  const reads = createReplicaReads({
    primary: engine('primary'),
    replicas: [notStandby],
    waitMs: 60_000,
    primaryPosition: async () => '0/FFFF',
    logger: silent,
    pollMs: 5,
    unhealthyMs: 60_000,
  });
  try {
    // The wait bound is a minute: answering at all shows it did not wait for it.
    assert.equal(await answeredBy(reads.client, request(10n)), 'primary');
  } finally {
    await reads.close();
  }
});

test('a replica whose reported position went back (restarted) is held to its new position', async () => {
  const a = replica('a', 1000n);
  const reads = createReplicaReads({
    primary: engine('primary'),
    replicas: [a.target],
    waitMs: 30,
    primaryPosition: async () => '0/FFFF',
    logger: silent,
    pollMs: 5,
    statsMs: 10,
    unhealthyMs: 60_000,
  });
  try {
    assert.equal(await answeredBy(reads.client, request(500n)), 'a');
    a.state.at = 100n;
    const readsBefore = a.state.reads;
    while (a.state.reads < readsBefore + 2) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await answeredBy(reads.client, request(500n)), 'primary', 'not trusted with 1000 any more');
    assert.equal(await answeredBy(reads.client, request(100n)), 'a');
  } finally {
    await reads.close();
  }
});
