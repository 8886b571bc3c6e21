import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openPGliteHere, openPGliteThread, type PGliteSession } from './pglite-session.js';

/** Longest gap between 10 ms ticks of a timer while `work` runs. */
async function longestTimerGap(work: () => Promise<unknown>): Promise<number> {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(longest, performance.now() - last);
}

describe('PGlite in a worker thread', () => {
  let session: PGliteSession;
  before(async () => {
    session = await openPGliteThread('memory://');
  });
  after(async () => {
    await session?.close();
  });

  it('answers rows, affected rows and command like PGlite, with int8 as numbers', async () => {
    await session.query('create table t (n int8, s text)', []);
    const insert = await session.query('insert into t select g, $1 from generate_series(1, 3) g', ['x']);
    assert.equal(insert.affectedRows, 3);
    const { rows } = await session.query<{ n: number; s: string }>('select n, s from t order by n', []);
    assert.deepEqual(rows, [
      { n: 1, s: 'x' },
      { n: 2, s: 'x' },
      { n: 3, s: 'x' },
    ]);
  });

  it('keeps the event loop free while a statement runs (in this thread it is blocked)', async () => {
    const threaded = await longestTimerGap(() => session.query('select pg_sleep(0.4)', []));
    const here = await openPGliteHere('memory://');
    let blocked: number;
    try {
      blocked = await longestTimerGap(() => here.query('select pg_sleep(0.4)', []));
      assert.ok(blocked >= 350, `in this thread the loop was blocked ${blocked.toFixed(0)} ms`);
    } finally {
      await here.close();
    }
    assert.ok(
      threaded < blocked / 2,
      `longest timer gap ${threaded.toFixed(0)} ms with the thread, ${blocked.toFixed(0)} ms without`,
    );
  });

  it('passes Postgres errors back with their SQLSTATE and leaves the session usable', async () => {
    await assert.rejects(
      session.query('select * from no_such_table', []),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, '42P01');
        assert.match(err.message, /no_such_table/);
        return true;
      },
    );
    const { rows } = await session.query<{ one: number }>('select 1 as one', []);
    assert.deepEqual(rows, [{ one: 1 }]);
  });

  it('tracks whether the session is inside a transaction', async () => {
    await session.query('begin', []);
    assert.equal(session.isInTransaction(), true);
    await session.query('rollback', []);
    assert.equal(session.isInTransaction(), false);
  });

  it('fails to open with the reason when the data directory is unusable, and fails after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pglite-thread-'));
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, 'x');
    try {
      await assert.rejects(openPGliteThread(file));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const closing = await openPGliteThread('memory://');
    await closing.close();
    assert.equal(closing.closed, true);
    await assert.rejects(closing.query('select 1', []), /exited|closed/);
  });
});
