import type { NostrEvent, RawEvent } from '@nrelay/protocol';
import { type AddOutcome, HotWindow, type HotWindowOptions } from './window.js';

/** A 64-char lowercase hex string from a small number: ids and pubkeys that sort predictably. */
export function hex(n: number, prefix = ''): string {
  return (prefix + n.toString(16)).padStart(64, '0');
}

export const ALICE = hex(0xa11ce);
export const BOB = hex(0xb0b);
export const CAROL = hex(0xca201);

/** The NIP-40 clock of the unit tests. */
export const NOW = 1_800_000_000;

/** An anonymous viewer. */
export const ANON = { pubkeys: [] } as const;

let counter = 0x1000;

/** A fake event (the window never verifies signatures) with a unique id unless one is given. */
export function ev(fields: Partial<NostrEvent> = {}): RawEvent {
  counter++;
  const event: NostrEvent = {
    id: fields.id ?? hex(counter, 'e'),
    pubkey: fields.pubkey ?? ALICE,
    created_at: fields.created_at ?? 1_000,
    kind: fields.kind ?? 1,
    tags: fields.tags ?? [],
    content: fields.content ?? '',
    sig: fields.sig ?? '0'.repeat(128),
  };
  return { event, raw: JSON.stringify(event) };
}

/** Options with a large budget, kind 4 privileged, limits 100/500. */
export const OPTIONS: HotWindowOptions = {
  budgetBytes: 1 << 20,
  privilegedKinds: [4],
  defaultLimit: 100,
  maxLimit: 500,
};

/** A hot window warmed with an empty, complete store. */
export function emptyHotWindow(options: Partial<HotWindowOptions> = {}): HotWindow {
  const window = new HotWindow({ ...OPTIONS, ...options });
  window.warm([], { complete: true });
  return window;
}

/** Adds each event; returns the outcomes. */
export function feed(window: HotWindow, ...events: RawEvent[]): AddOutcome[] {
  return events.map(({ event, raw }) => window.add(event, raw));
}

/** The ids of an answer's raw texts (undefined stays undefined). */
export function idsOf(answer: readonly string[] | undefined): string[] | undefined {
  return answer?.map((raw) => (JSON.parse(raw) as NostrEvent).id);
}
