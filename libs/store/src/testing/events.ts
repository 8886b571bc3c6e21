import type { Filter, NostrEvent, RawEvent } from '@nrelay/protocol';
import type { EventStore } from '../event-store.js';
import type { QueryOptions } from '../types.js';

/** A 64-char lowercase hex string from a small number: ids and pubkeys that sort predictably. */
export function hex(n: number, prefix = ''): string {
  return (prefix + n.toString(16)).padStart(64, '0');
}

/** Test pubkeys. */
export const ALICE = hex(0xa11ce);
export const BOB = hex(0xb0b);
export const CAROL = hex(0xca201);

let counter = 0x1000;

/**
 * A fake event (the store never verifies signatures) with a unique id unless one is given.
 * The raw text is indented, so tests can tell it is returned verbatim.
 */
export function ev(fields: Partial<NostrEvent> = {}): RawEvent {
  counter++;
  const event: NostrEvent = {
    id: fields.id ?? hex(counter, 'e'),
    pubkey: fields.pubkey ?? ALICE,
    created_at: fields.created_at ?? 1_700_000_000,
    kind: fields.kind ?? 1,
    tags: fields.tags ?? [],
    content: fields.content ?? '',
    sig: fields.sig ?? '0'.repeat(128),
  };
  return { event, raw: JSON.stringify(event, null, 1) };
}

/** Collects a query's results. */
export async function collect(store: EventStore, filter: Filter, opts: Partial<QueryOptions> = {}) {
  const out: Array<{ id: string; raw: string }> = [];
  for await (const page of store.query(filter, { limit: 1000, ...opts }))
    for (const row of page) out.push({ id: row.id, raw: row.raw });
  return out;
}

/** Collects a query's result ids. */
export async function ids(store: EventStore, filter: Filter, opts: Partial<QueryOptions> = {}) {
  return (await collect(store, filter, opts)).map((r) => r.id);
}

/** Sorts events the way the store returns them: created_at DESC, id ASC. */
export function byStoreOrder(a: NostrEvent, b: NostrEvent): number {
  if (a.created_at !== b.created_at) return b.created_at - a.created_at;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
