import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createDatabase } from './database.js';
import { createEventStore } from './event-store.js';
import { MigrationError, type MigrationProgress, migrateToLatest } from './migrate.js';
import { sqlState } from './sqlstate.js';
import { createTestDatabase } from './testing/backends.js';
import { ev, ids } from './testing/events.js';

for (const backend of ['pglite', 'postgres'] as const) {
  describe(`createDatabase + migrateToLatest (${backend})`, () => {
    it('migrates once, reports progress, reads int8 as numbers, exposes SQLSTATE', async () => {
      const target = backend === 'postgres' ? await createTestDatabase() : undefined;
      const database = await createDatabase(
        target ? { databaseUrl: target.url, poolSize: 4 } : { dataDir: 'memory://' },
      );
      try {
        assert.equal(database.backend, backend);
        const progress: MigrationProgress[] = [];
        assert.deepEqual(await migrateToLatest(database.db, (p) => progress.push(p)), [
          '0001-events',
          '0002-management',
          '0003-author-index-kind',
          '0004-vanish',
          '0005-relay-identity',
        ]);
        assert.deepEqual(
          progress.map((p) => `${p.migration}:${p.status}`),
          [
            '0001-events:running',
            '0001-events:done',
            '0002-management:running',
            '0002-management:done',
            '0003-author-index-kind:running',
            '0003-author-index-kind:done',
            '0004-vanish:running',
            '0004-vanish:done',
            '0005-relay-identity:running',
            '0005-relay-identity:done',
          ],
        );
        const identity = async () =>
          (
            await sql<{ key: string; value: string }>`select key, value from relay_settings
              where key in ('self', 'self_secret_key') order by key`.execute(database.db)
          ).rows;
        const generated = await identity();
        assert.deepEqual(
          generated.map((r) => r.key),
          ['self', 'self_secret_key'],
        );
        for (const { value } of generated) assert.match(value, /^[0-9a-f]{64}$/);
        assert.deepEqual(await migrateToLatest(database.db), []);
        assert.deepEqual(await identity(), generated, 'the identity is made once');
        const { rows } = await sql<{
          big: unknown;
          n: unknown;
        }>`select 9007199254740991::int8 as big, count(*) as n from events`.execute(database.db);
        assert.deepEqual(rows, [{ big: Number.MAX_SAFE_INTEGER, n: 0 }]);
        const err = await sql`insert into deletions (event_id, pubkey) values ('a', 'b'), ('a', 'b')`
          .execute(database.db)
          .catch((e: unknown) => e);
        assert.equal(sqlState(err), '23505');
        if (backend === 'postgres') {
          // Page queries never start parallel workers (see database.ts).
          const { rows: setting } = await sql<{
            v: string;
          }>`select current_setting('max_parallel_workers_per_gather') as v`.execute(database.db);
          assert.deepEqual(setting, [{ v: '0' }]);
        }
      } finally {
        await database.close();
        await target?.drop();
      }
    });

    it('never interleaves two transactions', async () => {
      const target = backend === 'postgres' ? await createTestDatabase() : undefined;
      const database = await createDatabase(
        target ? { databaseUrl: target.url, poolSize: 4 } : { dataDir: 'memory://' },
      );
      try {
        await sql`create table counter (n int)`.execute(database.db);
        await sql`insert into counter values (0)`.execute(database.db);
        await Promise.all(
          Array.from({ length: 10 }, () =>
            database.db.transaction().execute(async (trx) => {
              await sql`select n from counter for update`.execute(trx);
              await new Promise((resolve) => setTimeout(resolve, 2));
              await sql`update counter set n = n + 1`.execute(trx);
            }),
          ),
        );
        const failing = database.db.transaction().execute(async (trx) => {
          await sql`update counter set n = n + 100`.execute(trx);
          throw new Error('roll back');
        });
        await assert.rejects(failing, /roll back/);
        const { rows } = await sql<{ n: number }>`select n from counter`.execute(database.db);
        assert.deepEqual(rows, [{ n: 10 }]);
      } finally {
        await database.close();
        await target?.drop();
      }
    });
  });
}

describe('createDatabase (pglite on disk)', () => {
  it('keeps events across a close and a reopen of the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'nrelay-store-'));
    try {
      const first = await createDatabase({ dataDir });
      await migrateToLatest(first.db);
      const raw = ev({ content: 'durable' });
      assert.deepEqual(await createEventStore(first.db).save([raw]), [{ status: 'stored' }]);
      await first.close();
      const second = await createDatabase({ dataDir });
      assert.deepEqual(await migrateToLatest(second.db), []);
      const store = createEventStore(second.db);
      assert.deepEqual(await ids(store, { ids: [raw.event.id] }), [raw.event.id]);
      await store.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('migrateToLatest failure', () => {
  it('names the failed migration and what to do next', async () => {
    const database = await createDatabase({ dataDir: 'memory://' });
    try {
      await sql`create table events (oops int)`.execute(database.db);
      const progress: string[] = [];
      const err = await migrateToLatest(database.db, (p) => progress.push(p.status)).catch((e: unknown) => e);
      assert.ok(err instanceof MigrationError);
      assert.equal(err.migration, '0001-events');
      assert.match(err.message, /migration 0001-events failed: .*run the migration again/);
      assert.deepEqual(progress, ['running', 'failed']);
    } finally {
      await database.close();
    }
  });
});
