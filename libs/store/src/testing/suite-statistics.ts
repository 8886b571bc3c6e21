import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { autovacuumIsOff, maintainStatistics, tableActivity } from '../statistics.js';
import type { TestBackend } from './backends.js';
import { ev } from './events.js';

const POLICY = { minChanges: 500, changePercent: 10, vacuum: true };
/** The same without VACUUM: what the analyze rule alone does. */
const ANALYZE_ONLY = { ...POLICY, vacuum: false };

async function reltuples<DB>(db: Kysely<DB>, table: string): Promise<number> {
  const result = await sql<{
    reltuples: number;
  }>`select reltuples from pg_class where relname = ${table}`.execute(db);
  return Number(result.rows[0]?.reltuples);
}

/** The relay keeps planner statistics itself (issue 12): checked on each backend. */
export function statisticsSuite(backend: TestBackend): void {
  describe(`planner statistics (${backend.name})`, () => {
    test('a table that changed past the threshold is analyzed once, then left alone', async () => {
      const t = await backend.open(1);
      try {
        const db = t.database.db;
        // Never analyzed: the planner knows nothing of the table.
        assert.ok((await reltuples(db, 'events')) <= 0);
        const events = Array.from({ length: 1200 }, (_, i) =>
          ev({ created_at: 1_700_000_000 + i, tags: [['t', `tag${i % 7}`]] }),
        );
        for (let i = 0; i < events.length; i += 300) await t.store.save(events.slice(i, i + 300));
        const before = (await tableActivity(db)).find((a) => a.table === 'events');
        assert.ok(before !== undefined && before.changedSinceAnalyze >= 1200, JSON.stringify(before));

        const first = await maintainStatistics(db, ANALYZE_ONLY);
        assert.ok(first.analyzed.includes('events'), JSON.stringify(first));
        assert.ok(first.analyzed.includes('event_tags'), JSON.stringify(first));
        assert.equal(await reltuples(db, 'events'), 1200);
        const after = (await tableActivity(db)).find((a) => a.table === 'events');
        assert.equal(after?.changedSinceAnalyze, 0);

        // Below the threshold (500 + 10 % of 1,200): nothing to do.
        await t.store.save(Array.from({ length: 100 }, (_, i) => ev({ created_at: 1_700_100_000 + i })));
        assert.deepEqual(await maintainStatistics(db, ANALYZE_ONLY), { analyzed: [], vacuumed: [] });
      } finally {
        await t.dispose();
      }
    });

    test('dead rows past the threshold are vacuumed (which also analyzes)', async () => {
      const t = await backend.open(1);
      try {
        const db = t.database.db;
        await t.store.save(Array.from({ length: 800 }, (_, i) => ev({ created_at: 1_700_000_000 + i })));
        await maintainStatistics(db, POLICY);
        await sql`delete from events where created_at < ${1_700_000_700}`.execute(db);
        const pass = await maintainStatistics(db, POLICY);
        assert.ok(pass.vacuumed.includes('events'), JSON.stringify(pass));
        const events = (await tableActivity(db)).find((a) => a.table === 'events');
        assert.equal(events?.deadRows, 0);
        assert.equal(await reltuples(db, 'events'), 100);
      } finally {
        await t.dispose();
      }
    });

    test('an insert-only table is vacuumed once twice the threshold was inserted since its last VACUUM', async () => {
      const t = await backend.open(1);
      try {
        const db = t.database.db;
        await t.store.save(Array.from({ length: 1300 }, (_, i) => ev({ created_at: 1_700_000_000 + i })));
        const pass = await maintainStatistics(db, POLICY);
        assert.ok(pass.vacuumed.includes('events'), JSON.stringify(pass));
        const events = (await tableActivity(db)).find((a) => a.table === 'events');
        assert.equal(events?.insertedSinceVacuum, 0);
      } finally {
        await t.dispose();
      }
    });

    test('autovacuumIsOff reads the server setting', async () => {
      const t = await backend.open(1);
      try {
        const shown = await sql<{ autovacuum: string }>`show autovacuum`.execute(t.database.db);
        assert.equal(await autovacuumIsOff(t.database.db), shown.rows[0]?.autovacuum !== 'on');
      } finally {
        await t.dispose();
      }
    });
  });
}
