import assert from 'node:assert/strict';
import { it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { PGlitePool } from './pglite-pool.js';

it('leases the one PGlite session to one caller at a time, in order', async () => {
  const pool = new PGlitePool(await PGlite.create('memory://'));
  const first = await pool.connect();
  const order: string[] = [];
  const second = pool.connect().then((c) => {
    order.push('second');
    return c;
  });
  await first.query('begin', []);
  await new Promise((resolve) => setTimeout(resolve, 5));
  order.push('first');
  first.release(); // released inside a transaction: rolled back before the hand-over
  const client = await second;
  const { rows } = await client.query<{ n: number }>('select 1 as n', []);
  assert.deepEqual(rows, [{ n: 1 }]);
  assert.deepEqual(order, ['first', 'second']);
  client.release();
  await pool.end();
  await assert.rejects(pool.connect(), /closed/);
});

it('starts every lease on a later event-loop turn, so back-to-back statements let other work run', async () => {
  const pool = new PGlitePool(await PGlite.create('memory://'));
  const ran: string[] = [];
  // Each statement is synchronous WASM that resolves at once; a callback queued between two
  // of them must run before the second, as timers and sockets must between a query's pages.
  for (const step of ['page 1', 'page 2', 'page 3']) {
    setImmediate(() => ran.push(`other work before ${step}`));
    const client = await pool.connect();
    await client.query('select 1', []);
    client.release();
    ran.push(step);
  }
  assert.deepEqual(ran, [
    'other work before page 1',
    'page 1',
    'other work before page 2',
    'page 2',
    'other work before page 3',
    'page 3',
  ]);
  await pool.end();
});
