import { type Keys, newKeys, nowSec, signEvent } from '@nrelay/testkit';

/** A JSONL data set of known shape and the counts an import into an empty store must give. */
export interface EventSet {
  lines: string[];
  /** Events a first import stores (everything but what the relay's rules refuse). */
  stored: number;
  /** Refused by the relay's rules (a NIP-09-deleted note). */
  rejected: number;
}

/**
 * `notes` kind-1 notes by a few authors, and one of each special case: a DM (kind 4), two
 * versions of a profile (kind 0) and of an article (kind 30023), a note and its NIP-09 deletion
 * (kind 5) placed before it in the file, so the note is refused when it comes.
 */
export function eventSet(notes: number): EventSet {
  const authors: Keys[] = Array.from({ length: 5 }, () => newKeys());
  const [alice, bob] = authors as [Keys, Keys];
  const t = nowSec() - 10_000;
  const lines: string[] = [];
  const add = (keys: Keys, draft: Parameters<typeof signEvent>[1]) => {
    const event = signEvent(keys, draft);
    lines.push(JSON.stringify(event));
    return event;
  };
  for (let i = 0; i < notes; i++) {
    add(authors[i % authors.length] as Keys, { kind: 1, created_at: t + i, content: `note ${i}` });
  }
  add(alice, { kind: 4, created_at: t + 1, tags: [['p', bob.pk]], content: 'secret?iv=abc' });
  add(alice, { kind: 0, created_at: t + 2, content: '{"name":"alice"}' });
  add(alice, { kind: 0, created_at: t + 3, content: '{"name":"alice v2"}' });
  add(bob, { kind: 30023, created_at: t + 4, tags: [['d', 'post']], content: 'draft' });
  add(bob, { kind: 30023, created_at: t + 5, tags: [['d', 'post']], content: 'final' });
  const doomed = signEvent(bob, { kind: 1, created_at: t + 6, content: 'regret' });
  add(bob, { kind: 5, created_at: t + 7, tags: [['e', doomed.id]] });
  lines.push(JSON.stringify(doomed));
  // Every line but the deleted note is stored (older versions are stored, then replaced).
  return { lines, stored: lines.length - 1, rejected: 1 };
}
