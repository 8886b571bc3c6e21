/**
 * NIP-45 COUNT with HyperLogLog registers (docs/adr/0021-vanish-and-hll.md): the count and the
 * 256 registers of the matching events' pubkeys, in one statement that returns at most 256
 * rows. Per register, the pubkey with the most leading zero bits after the register byte is
 * the one whose next HLL_RANK_HEX hex digits are the smallest, so SQL keeps `min()` of them
 * and never ships a pubkey per event.
 */

import type { Filter } from '@nrelay/protocol';
import { HLL_RANK_HEX, HLL_REGISTERS, hllHex, hllRank } from '@nrelay/protocol';
import { type Kysely, sql } from 'kysely';
import { executeCancellable } from './cancel.js';
import type { QueryContext } from './event-conditions.js';
import { forViewer, normalizeFilter } from './filter-plan.js';
import { assertSearchWithin, classifyQueryError } from './query-input.js';
import { matchingIds } from './query-sql.js';
import type { StoreSchema } from './schema.js';
import type { CountOptions } from './types.js';

/** A COUNT answer with its NIP-45 registers (`hll`: 512 lowercase hex digits). */
export interface HllCount {
  count: number;
  hll: string;
}

/**
 * Counts the distinct events matching `filter` (limits ignored, privacy and expiry as for
 * `count`) and builds their pubkeys' registers at `offset` (8..23, from `hllOffsetFor`).
 */
export async function countWithHll(
  db: Kysely<StoreSchema>,
  filter: Filter,
  offset: number,
  opts: CountOptions = {},
): Promise<HllCount> {
  if (!Number.isInteger(offset) || offset < 0 || offset > 32 - 1 - HLL_RANK_HEX / 2) {
    throw new RangeError(`HLL offset ${offset} out of range`);
  }
  opts.signal?.throwIfAborted();
  const registers = new Uint8Array(HLL_REGISTERS);
  const f = forViewer(normalizeFilter(filter), opts.viewer);
  if (f.matchesNothing) return { count: 0, hll: hllHex(registers) };
  assertSearchWithin(f.search, opts.search);
  const ctx: QueryContext = { now: opts.now ?? Math.floor(Date.now() / 1000) };
  if (opts.viewer) ctx.viewer = opts.viewer;
  const { ids } = matchingIds(f, ctx);
  const query = sql<{ ri: string; rank_hex: string; n: number }>`
    select substr(e.pubkey, ${offset * 2 + 1}::int, 2) as ri,
      min(substr(e.pubkey, ${offset * 2 + 3}::int, ${HLL_RANK_HEX}::int)) as rank_hex,
      count(*) as n
    from events e where e.id in (select u.id from (${ids}) as u)
    group by 1`;
  let rows: Array<{ ri: string; rank_hex: string; n: number }>;
  try {
    rows = (await executeCancellable(db, query.compile(db), opts.signal)).rows;
  } catch (err) {
    throw classifyQueryError(err);
  }
  let count = 0;
  for (const row of rows) {
    count += Number(row.n);
    registers[Number.parseInt(row.ri, 16)] = hllRank(row.rank_hex);
  }
  return { count, hll: hllHex(registers) };
}
