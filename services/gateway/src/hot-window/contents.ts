import {
  expirationOf,
  kindClass,
  type NostrEvent,
  parseAddress,
  type RawEvent,
  replaceableKey,
} from '@nrelay/protocol';
import { EntryList, type WindowEntry } from './entry-list.js';
import { Tombstones } from './tombstones.js';

/**
 * Bytes counted per event besides its text: the entry and the parsed event objects, the tag
 * arrays, the slot in the id map and in the all-events list. An estimate on the safe side.
 */
const EVENT_OVERHEAD_BYTES = 320;
/**
 * Bytes counted per posting in the author, kind and tag indexes: the list slot, and the list
 * and map entry of a key the event may be alone under (an `e` or `p` value often is).
 */
const INDEX_ENTRY_BYTES = 64;
/** Bytes counted per tombstone a kept deletion request holds (a map entry and its key). */
const TOMBSTONE_BYTES = 192;

/**
 * What one event counts against the budget. V8 keeps ASCII text one byte per character, so
 * `raw.length × 2` covers the raw text and the strings of the parsed event (the text once
 * more); the fixed parts cover the objects and index postings (author, kind, each tag).
 */
function entryCost(raw: string, postings: number, tombstones: number): number {
  return raw.length * 2 + EVENT_OVERHEAD_BYTES + postings * INDEX_ENTRY_BYTES + tombstones * TOMBSTONE_BYTES;
}

/**
 * What an event will count, about, before its entry is built (a tag of any name counted as
 * indexed): what a warm-up reads until the budget is full.
 */
export function estimatedCost({ event, raw }: RawEvent): number {
  return entryCost(raw, 2 + event.tags.length, 0);
}

const PLACEHOLDER: NostrEvent = Object.freeze({
  id: '',
  pubkey: '',
  created_at: 0,
  kind: -1,
  tags: [],
  content: '',
  sig: '',
}) as NostrEvent;

/** The replace keys named by a deletion request's own `a` tags, as the store reads them. */
export function deletedAddresses(del: NostrEvent): string[] {
  const found = new Set<string>();
  for (const [name, value] of del.tags) {
    if (name !== 'a' || value === undefined) continue;
    const address = parseAddress(value);
    if (address === undefined || address.pubkey !== del.pubkey) continue;
    const cls = kindClass(address.kind);
    if (cls === 'replaceable') found.add(`${address.kind}:${address.pubkey}`);
    else if (cls === 'addressable') found.add(`${address.kind}:${address.pubkey}:${address.d}`);
  }
  return [...found];
}

/** The distinct ids a deletion request's `e` tags name. */
export function deletedIds(del: NostrEvent): string[] {
  const found = new Set<string>();
  for (const [name, value] of del.tags) if (name === 'e' && value !== undefined) found.add(value);
  return [...found];
}

const SINGLE_LETTER = /^[A-Za-z]$/;

/** An entry for `raw`, with its postings, tombstones (for kind 5) and cost. */
export function makeEntry({ event, raw }: RawEvent): WindowEntry {
  const seen = new Set<string>();
  const tags: Array<readonly [string, string]> = [];
  for (const [name, value] of event.tags) {
    if (name === undefined || value === undefined || !SINGLE_LETTER.test(name)) continue;
    const pair = `${name}\u0000${value}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    tags.push([name, value]);
  }
  const tombstones =
    event.kind === 5
      ? { ids: deletedIds(event).map((id) => `${id}:${event.pubkey}`), addresses: deletedAddresses(event) }
      : undefined;
  const held = tombstones === undefined ? 0 : tombstones.ids.length + tombstones.addresses.length;
  return {
    id: event.id,
    createdAt: event.created_at,
    event,
    raw,
    expiresAt: expirationOf(event),
    tags,
    replaceKey: replaceableKey(event),
    tombstones,
    cost: entryCost(raw, 2 + tags.length, held),
    alive: true,
  };
}

function listOf<K>(map: Map<K, EntryList>, key: K): EntryList {
  let list = map.get(key);
  if (list === undefined) {
    list = new EntryList();
    map.set(key, list);
  }
  return list;
}

function noteRemoved<K>(map: Map<K, EntryList> | undefined, key: K): void {
  const list = map?.get(key);
  if (list === undefined) return;
  list.noteRemoved();
  if (list.live === 0) map?.delete(key);
}

/**
 * The events the window holds and their indexes: by id, by replace key, and newest-first lists
 * by author, kind, single-letter tag value and over all events. Insert is O(postings) (plus a
 * splice for a backdated event), removal O(postings) amortized; it enforces no rule of the
 * store itself (window.ts does).
 */
export class WindowContents {
  readonly byId = new Map<string, WindowEntry>();
  readonly byReplaceKey = new Map<string, WindowEntry>();
  readonly byAuthor = new Map<string, EntryList>();
  readonly byKind = new Map<number, EntryList>();
  /** letter → value → list. */
  readonly byTag = new Map<string, Map<string, EntryList>>();
  readonly all = new EntryList();
  readonly tombstones = new Tombstones();
  /** The sum of the held entries' costs. */
  bytes = 0;

  insert(entry: WindowEntry): void {
    const { event } = entry;
    this.byId.set(entry.id, entry);
    if (entry.replaceKey !== undefined) this.byReplaceKey.set(entry.replaceKey, entry);
    listOf(this.byAuthor, event.pubkey).insert(entry);
    listOf(this.byKind, event.kind).insert(entry);
    for (const [letter, value] of entry.tags) {
      let values = this.byTag.get(letter);
      if (values === undefined) {
        values = new Map();
        this.byTag.set(letter, values);
      }
      listOf(values, value).insert(entry);
    }
    this.all.insert(entry);
    if (entry.tombstones)
      this.tombstones.hold(entry.tombstones.ids, entry.tombstones.addresses, entry.createdAt);
    this.bytes += entry.cost;
  }

  remove(entry: WindowEntry): void {
    if (!entry.alive) return;
    entry.alive = false;
    const { event } = entry;
    this.byId.delete(entry.id);
    if (entry.replaceKey !== undefined && this.byReplaceKey.get(entry.replaceKey) === entry) {
      this.byReplaceKey.delete(entry.replaceKey);
    }
    noteRemoved(this.byAuthor, event.pubkey);
    noteRemoved(this.byKind, event.kind);
    for (const [letter, value] of entry.tags) {
      const values = this.byTag.get(letter);
      noteRemoved(values, value);
      if (values?.size === 0) this.byTag.delete(letter);
    }
    this.all.noteRemoved();
    if (entry.tombstones) this.tombstones.release(entry.tombstones.ids, entry.tombstones.addresses);
    this.bytes -= entry.cost;
    // A removed entry can linger in a list until it compacts: it keeps no text alive meanwhile.
    entry.event = PLACEHOLDER;
    entry.raw = '';
  }

  /** Drops everything. */
  clear(): void {
    for (const entry of this.byId.values()) entry.alive = false;
    this.byId.clear();
    this.byReplaceKey.clear();
    this.byAuthor.clear();
    this.byKind.clear();
    this.byTag.clear();
    this.all.clear();
    this.tombstones.clear();
    this.bytes = 0;
  }
}
