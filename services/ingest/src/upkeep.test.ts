import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@nrelay/config';
import { postgresBackend } from '@nrelay/store/testing';
import { signedRaw } from '@nrelay/testkit';
import { sql } from 'kysely';
import pino from 'pino';
import { startStoreUpkeep } from './upkeep.js';

/** Log lines the upkeep wrote, parsed. */
function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

test('the upkeep analyzes a table that changed past the thresholds, and warns when autovacuum is off', async () => {
  const t = await postgresBackend.open(2);
  try {
    const db = t.database.db;
    const now = Math.floor(Date.now() / 1000);
    const events = Array.from({ length: 700 }, (_, i) =>
      signedRaw({ created_at: now - i, content: `note ${i}` }),
    );
    for (let i = 0; i < events.length; i += 350) await t.store.save(events.slice(i, i + 350));
    const { logger, lines } = capture();
    const config = loadConfig(
      {},
      {
        DATABASE_URL: 'postgres://unused',
        STATS_CHECK_SECONDS: 1,
        STATS_MIN_CHANGES: 500,
        STATS_CHANGE_PERCENT: 10,
      },
    );
    const stop = await startStoreUpkeep(config, { database: t.database, store: t.store, logger });
    try {
      // The first pass runs at start; other backends' counters reach pg_stat within about a second.
      const deadline = Date.now() + 15_000;
      let rows = 0;
      while (Date.now() < deadline) {
        const result = await sql<{
          reltuples: number;
        }>`select reltuples from pg_class where relname = 'events'`.execute(db);
        rows = Number(result.rows[0]?.reltuples);
        // The pass logs once its ANALYZE has returned: reltuples can be seen a moment before.
        if (rows === 700 && lines.some((l) => l.msg === 'refreshed planner statistics')) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.equal(rows, 700, 'the events table was analyzed by the upkeep');
      assert.ok(lines.some((l) => l.msg === 'refreshed planner statistics'));
    } finally {
      await stop();
    }
    const shown = await sql<{ autovacuum: string }>`show autovacuum`.execute(db);
    const warned = lines.some((l) => l.level === 40 && l.msg.startsWith('Postgres autovacuum is off'));
    assert.equal(warned, shown.rows[0]?.autovacuum !== 'on');
  } finally {
    await t.dispose();
  }
});
