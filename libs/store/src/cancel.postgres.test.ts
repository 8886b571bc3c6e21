import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { executeCancellable } from './cancel.js';
import { createDatabase, type StoreDatabase } from './database.js';
import { createTestDatabase } from './testing/backends.js';

let database: StoreDatabase;
let drop: () => Promise<void>;
let url: string;

before(async () => {
  const created = await createTestDatabase();
  url = created.url;
  drop = created.drop;
  database = await createDatabase({ databaseUrl: url, poolSize: 3 });
});

after(async () => {
  await database?.close();
  await drop?.();
});

async function runningSleeps(): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select count(*)::int as n from pg_stat_activity where state = 'active' and query like 'select pg_sleep%'",
    );
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

test('aborting cancels the statement on the server, not just the wait', async () => {
  const controller = new AbortController();
  const query = sql<{ x: number }>`select pg_sleep(20), 1 as x`.compile(database.db);
  const started = Date.now();
  const running = executeCancellable(database.db, query, controller.signal);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await runningSleeps(), 1, 'the statement is running on the server');
  controller.abort(new Error('client went away'));
  await assert.rejects(running, /client went away/);
  assert.ok(Date.now() - started < 5_000, 'the abort ended the query early');
  // The backend is free again: nothing is left sleeping.
  let left = 1;
  for (let i = 0; i < 20 && left > 0; i++) {
    left = await runningSleeps();
    if (left > 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(left, 0);
  // The pool still works afterwards.
  const again = await executeCancellable(
    database.db,
    sql<{ x: number }>`select 2 as x`.compile(database.db),
    new AbortController().signal,
  );
  assert.deepEqual(again.rows, [{ x: 2 }]);
});

test('an already aborted signal does not start the statement', async () => {
  const controller = new AbortController();
  controller.abort(new Error('gone'));
  await assert.rejects(
    executeCancellable(database.db, sql`select 1`.compile(database.db), controller.signal),
    /gone/,
  );
});
