import assert from 'node:assert/strict';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { createDatabase } from './database.js';
import { createTestDatabase } from './testing/backends.js';

// Issue 10, defect 2: a Postgres restart (57P01 admin_shutdown) under write load crashed the
// ingest worker with "Unhandled 'error' event": a client checked out of the pool (inside a
// transaction, between statements) has no error listener of the pool's.
it('a backend terminated while its client is checked out is reported, not thrown; the pool carries on', async () => {
  const target = await createTestDatabase();
  const poolErrors: Error[] = [];
  const database = await createDatabase({
    databaseUrl: target.url,
    poolSize: 2,
    onPoolError: (err) => poolErrors.push(err),
  });
  const admin = new pg.Client({ connectionString: target.url });
  await admin.connect();
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  // node:test reports an uncaught exception as a failure of this test; recording it as well
  // lets the assertion below say what happened.
  process.on('uncaughtException', onUncaught);
  try {
    const inTransaction = database.db
      .transaction()
      .execute(async (trx) => {
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx);
        const pid = rows[0]!.pid;
        // The connection dies while this transaction holds it and no statement is running.
        await admin.query('select pg_terminate_backend($1)', [pid]);
        await sleep(300);
        await sql`select 1`.execute(trx);
      })
      .then(
        () => 'committed',
        (err: unknown) => err,
      );
    const outcome = await inTransaction;
    assert.notEqual(outcome, 'committed', 'a transaction on a terminated backend cannot commit');
    assert.deepEqual(uncaught, [], 'the connection error escaped as an uncaught exception');
    assert.ok(poolErrors.length >= 1, 'the connection error was not reported to onPoolError');
    // The broken client left the pool: the next statements get a fresh connection.
    for (let i = 0; i < 3; i++) {
      const { rows } = await sql<{ one: number }>`select 1 as one`.execute(database.db);
      assert.deepEqual(rows, [{ one: 1 }]);
    }
  } finally {
    process.off('uncaughtException', onUncaught);
    await admin.end();
    await database.close();
    await target.drop();
  }
});
