import { type Kysely, sql } from 'kysely';
import type { StoreSchema } from '../schema.js';

/** Shape of the synthetic data set. */
export interface SeedPlan {
  /** Regular events (kinds 1, 7, 6, 1111). */
  events: number;
  /** Distinct authors; activity is skewed (author rank ~ random()^3), like real relays. */
  authors: number;
  /** Rows per INSERT statement. */
  chunk: number;
  /** Newest created_at; events spread over the two years before it. */
  now: number;
}

const hexOf = (expr: string) => `md5(${expr}) || md5(${expr} || ':')`;

/**
 * Inserts one chunk of regular events and their tags in a single statement: rows come from
 * generate_series with random columns, JSON text is built by Postgres, tags are unnested from
 * the same rows. About one event in three replies to an earlier one (`e` + `p`), most mention
 * authors (`p`), one in five carries a hashtag (`t`, skewed toward a few popular ones).
 */
async function seedChunk(db: Kysely<StoreSchema>, plan: SeedPlan, from: number, to: number): Promise<void> {
  await sql`
    with src as materialized (
      select ${sql.raw(hexOf('i::text'))} as id,
        ${sql.raw(hexOf(`'author' || floor(power(r1, 3) * ${plan.authors})::int`))} as pubkey,
        case when r2 < 0.65 then 1 when r2 < 0.9 then 7 when r2 < 0.95 then 6 else 1111 end as kind,
        (${sql.lit(plan.now)}::int8 - floor(r3 * 63072000))::int8 as created_at,
        case when r4 < 0.35 and i > 1 then ${sql.raw(hexOf('floor(r5 * (i - 1))::int::text'))} end as e_tag,
        case when r6 < 0.7 then ${sql.raw(hexOf(`'author' || floor(power(r7, 3) * ${plan.authors})::int`))} end as p_tag,
        case when r8 < 0.2 then 'tag' || floor(power(r9, 2) * 1000)::int end as t_tag,
        (array['gm', 'nostr', 'bitcoin', 'coffee', 'relay', 'zap', 'music', 'art', 'hello', 'world'])[1 + floor(r5 * 10)::int]
          || ' ' || (array['today', 'friends', 'build', 'ship', 'read', 'write', 'think', 'walk'])[1 + floor(r8 * 8)::int]
          || ' #' || i as content
      from (
        select i, random() r1, random() r2, random() r3, random() r4, random() r5, random() r6,
          random() r7, random() r8, random() r9
        from generate_series(${from}::int, ${to - 1}::int) as i
      ) as g
    ),
    ins as (
      insert into events (id, pubkey, kind, created_at, raw, search)
      select id, pubkey, kind, created_at,
        json_build_object('id', id, 'pubkey', pubkey, 'created_at', created_at, 'kind', kind,
          'tags', json_build_array(), 'content', content, 'sig', repeat('0', 128))::text,
        to_tsvector('simple', content)
      from src
      returning id
    )
    insert into event_tags (event_id, name, key, kind, created_at)
    select s.id, t.name, t.key, s.kind, s.created_at
    from src s cross join lateral (values ('e', s.e_tag), ('p', s.p_tag), ('t', s.t_tag)) as t(name, key)
    where t.key is not null
    on conflict do nothing`.execute(db);
}

/** One kind 0, kind 3 and kind 10002 per author: the replaceable events every relay holds. */
async function seedReplaceable(db: Kysely<StoreSchema>, plan: SeedPlan): Promise<void> {
  await sql`
    insert into events (id, pubkey, kind, created_at, raw, replace_key)
    select ${sql.raw(hexOf("'r' || a || ':' || k"))}, p, k, ${plan.now}::int8 - a, '{}', k || ':' || p
    from (select a, ${sql.raw(hexOf("'author' || a"))} as p from generate_series(0, ${plan.authors - 1}) a) as au
    cross join unnest(array[0, 3, 10002]) as k`.execute(db);
}

/**
 * Fills a migrated, empty database with synthetic events, reporting progress after each
 * chunk, then runs VACUUM ANALYZE.
 */
export async function seed(
  db: Kysely<StoreSchema>,
  plan: SeedPlan,
  progress: (line: string) => void,
): Promise<void> {
  const started = Date.now();
  await sql`set synchronous_commit = off`.execute(db);
  for (let from = 1; from <= plan.events; from += plan.chunk) {
    const to = Math.min(plan.events + 1, from + plan.chunk);
    await seedChunk(db, plan, from, to);
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    progress(`seeded ${to - 1}/${plan.events} events (${seconds}s)`);
  }
  await seedReplaceable(db, plan);
  progress(`seeded ${plan.authors * 3} replaceable events`);
  // VACUUM sets the visibility map (as autovacuum does on a live relay), so index-only scans
  // skip the heap; ANALYZE gives the planner the real distribution.
  await sql`vacuum analyze`.execute(db);
  progress(`analyzed (${((Date.now() - started) / 1000).toFixed(0)}s total)`);
}
