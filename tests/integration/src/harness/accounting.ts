import assert from 'node:assert/strict';
import { RawClient } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import type { FrameTally } from './tally.js';

/** Every event a filter matches, read through `url` (one REQ, limit above what a test publishes). */
export async function storedIds(url: string, filter: Record<string, unknown>): Promise<Set<string>> {
  const c = await RawClient.open(url);
  try {
    const r = await c.query([{ ...filter, limit: 5000 }], { timeoutMs: 15_000 });
    assert.equal(r.end, 'EOSE', `REQ through ${url} was CLOSED: ${r.reason}`);
    return new Set(r.events.map((e) => e.id));
  } finally {
    c.close();
  }
}

/** A kind and tag unique to one test, and events carrying them (shared with tools/scale). */
export { eventStream } from '@nrelay/testkit';

/** Counts of OK answers by their message prefix, for diagnostics: `true "": 90, false error: 10`. */
export function summarizeOks(tally: FrameTally, events: readonly NostrEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) {
    const first = tally.oks.get(e.id)?.[0];
    const key = first === undefined ? 'no OK' : `${first.ok} ${first.message.split(':')[0] || '""'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}: ${n}`).join(', ');
}

/**
 * The accounting every dependency fault must pass (issue 10): no EVENT answered twice, refusals
 * only `error:`, every OK true stored, nothing answered `error:` stored, and (with
 * `allAnswered`) every EVENT sent answered; with `noSilentStores`, no EVENT stored that got no
 * answer at all. `stored` is read after the fault, through a healthy path.
 */
export function assertAccounting(
  tally: FrameTally,
  sent: readonly NostrEvent[],
  stored: ReadonlySet<string>,
  opts: { allAnswered: boolean; noSilentStores?: boolean },
): void {
  tally.update();
  const line = (e: NostrEvent) => `${e.id.slice(0, 12)}: ${JSON.stringify(tally.oks.get(e.id) ?? null)}`;
  const twice = sent.filter((e) => (tally.oks.get(e.id)?.length ?? 0) > 1);
  assert.deepEqual(twice.map(line), [], 'EVENTs answered more than once');
  if (opts.allAnswered) {
    const silent = sent.filter((e) => !tally.oks.has(e.id));
    assert.deepEqual(silent.map(line), [], 'EVENTs never answered');
  }
  const refusedOtherwise = sent.filter((e) => {
    const ok = tally.oks.get(e.id)?.[0];
    return ok !== undefined && !ok.ok && !ok.message.startsWith('error:');
  });
  assert.deepEqual(refusedOtherwise.map(line), [], 'refusals other than error:');
  const lost = sent.filter((e) => tally.oks.get(e.id)?.[0]?.ok === true && !stored.has(e.id));
  assert.deepEqual(lost.map(line), [], 'EVENTs answered OK true but not stored');
  const lied = sent.filter((e) => tally.oks.get(e.id)?.[0]?.ok === false && stored.has(e.id));
  assert.deepEqual(lied.map(line), [], 'EVENTs answered error: but stored');
  if (opts.noSilentStores) {
    const unacknowledged = sent.filter((e) => !tally.oks.has(e.id) && stored.has(e.id));
    assert.deepEqual(unacknowledged.map(line), [], 'EVENTs stored without any OK');
  }
}
