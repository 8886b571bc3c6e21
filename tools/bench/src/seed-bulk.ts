import { insertBatch, type SeedBatch, type SqlExecutor } from './seed-db.js';

/**
 * A bulk load of the relay's tables in ONE transaction: the secondary indexes of `events` and
 * `event_tags` and the primary and foreign keys of `event_tags` are dropped, the rows inserted,
 * then everything is recreated from the definitions Postgres itself printed (sorted index
 * builds instead of a random btree insert per row and index). Should the process die midway,
 * Postgres rolls the transaction back and the schema is as it was. The primary key and the
 * unique replace-key index of `events` stay: duplicate ids and replaced events are skipped as
 * in the incremental path.
 *
 * While the transaction runs it holds an exclusive lock on both tables: queries against them
 * wait. Meant for seeding a benchmark database, not a relay in service.
 */

/** One index or constraint taken down for the load. */
export interface DroppedObject {
  name: string;
  drop: string;
  create: string;
}

/** Memory for each index build (sorting 1M+ keys in memory instead of on disk). */
const INDEX_BUILD_MEMORY = '256MB';

/** The objects a bulk load drops, in drop order (recreated in reverse). */
async function droppableObjects(db: SqlExecutor): Promise<DroppedObject[]> {
  const constraints = (
    await db.query(
      `select conname as name, pg_get_constraintdef(oid) as def from pg_constraint
       where conrelid = 'event_tags'::regclass and contype in ('f', 'p')
       order by contype = 'f' desc, conname`,
    )
  ).rows as Array<{ name: string; def: string }>;
  const indexes = (
    await db.query(
      `select c.relname as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i join pg_class c on c.oid = i.indexrelid
       where i.indrelid in ('events'::regclass, 'event_tags'::regclass) and not i.indisunique
       order by c.relname`,
    )
  ).rows as Array<{ name: string; def: string }>;
  const ident = (name: string): string => `"${name.replaceAll('"', '""')}"`;
  return [
    ...constraints.map((c) => ({
      name: c.name,
      drop: `alter table event_tags drop constraint ${ident(c.name)}`,
      create: `alter table event_tags add constraint ${ident(c.name)} ${c.def}`,
    })),
    ...indexes.map((i) => ({ name: i.name, drop: `drop index ${ident(i.name)}`, create: i.def })),
  ];
}

/** An open bulk-load transaction on one connection (see the module comment). */
export class BulkLoad {
  private constructor(
    private readonly db: SqlExecutor,
    /** What was dropped, in drop order. */
    readonly dropped: readonly DroppedObject[],
  ) {}

  /** Starts the transaction and drops the indexes and constraints. */
  static async begin(db: SqlExecutor): Promise<BulkLoad> {
    await db.query('begin');
    try {
      await db.query('lock table events, event_tags in access exclusive mode');
      const dropped = await droppableObjects(db);
      for (const d of dropped) await db.query(d.drop);
      return new BulkLoad(db, dropped);
    } catch (err) {
      await db.query('rollback').catch(() => {});
      throw err;
    }
  }

  /** Inserts one batch inside the transaction. */
  write(batch: SeedBatch): Promise<{ events: number; tags: number }> {
    return insertBatch(this.db, batch);
  }

  /** Recreates what was dropped (`onStep` hears each) and commits. Rolls back on failure. */
  async commit(onStep: (done: number) => void = () => {}): Promise<void> {
    try {
      await this.db.query(`set local maintenance_work_mem = '${INDEX_BUILD_MEMORY}'`);
      const order = [...this.dropped].reverse();
      for (const [i, d] of order.entries()) {
        await this.db.query(d.create);
        onStep(i + 1);
      }
      await this.db.query('commit');
    } catch (err) {
      await this.rollback();
      throw err;
    }
  }

  /** Abandons the load: rows and dropped objects return to their state before {@link begin}. */
  async rollback(): Promise<void> {
    await this.db.query('rollback').catch(() => {});
  }
}
