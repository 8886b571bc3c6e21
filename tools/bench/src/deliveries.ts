import { SampleBuffer } from './stats.js';

/**
 * Exactly-once accounting for live subscriptions: which events each subscriber should get,
 * which it got, how late, and what it got twice or should not have got at all.
 */

/** Per-subscriber counts after a run. */
export interface DeliveryTally {
  expected: number;
  delivered: number;
  missing: number;
  subscribersMissing: number;
  duplicates: number;
  /** Events a subscriber got that it does not match, was never sent, or the relay refused. */
  unexpected: number;
}

interface Subscriber {
  /** Index of the followed author, or -1 when it follows every author. */
  author: number;
  seen: Set<string>;
  duplicates: number;
  unexpected: number;
}

/** Records deliveries against send times; one instance per fan-out run. */
export class DeliveryLedger {
  /** Send time of every published event id (performance.now()). */
  readonly sentAt = new Map<string, number>();
  /** Publish → delivery delays of first deliveries, ms. */
  readonly delays = new SampleBuffer();
  /** Time of the latest first delivery. */
  lastDelivery = 0;
  private readonly subscribers: Subscriber[] = [];
  private readonly authorOfEvent = new Map<string, number>();

  /** Declares the events of the run and the author index of each. */
  constructor(events: ReadonlyArray<{ id: string; author: number }>) {
    for (const e of events) this.authorOfEvent.set(e.id, e.author);
  }

  /** Adds a subscriber following `author` (-1: all authors); returns its delivery callback. */
  subscribe(author: number): (id: string, at: number) => void {
    const s: Subscriber = { author, seen: new Set(), duplicates: 0, unexpected: 0 };
    this.subscribers.push(s);
    return (id, at) => {
      const t0 = this.sentAt.get(id);
      if (t0 === undefined || (s.author >= 0 && this.authorOfEvent.get(id) !== s.author)) {
        s.unexpected++;
        return;
      }
      if (s.seen.has(id)) {
        s.duplicates++;
        return;
      }
      s.seen.add(id);
      this.delays.push(at - t0);
      this.lastDelivery = at;
    };
  }

  /** Deliveries expected once the relay accepted `accepted`. */
  expected(accepted: ReadonlySet<string>): number {
    let n = 0;
    for (const s of this.subscribers) for (const id of accepted) if (this.matches(s, id)) n++;
    return n;
  }

  /** Compares what each subscriber got with what it matches among the `accepted` events. */
  tally(accepted: ReadonlySet<string>): DeliveryTally {
    const t: DeliveryTally = {
      expected: 0,
      delivered: 0,
      missing: 0,
      subscribersMissing: 0,
      duplicates: 0,
      unexpected: 0,
    };
    for (const s of this.subscribers) {
      let missing = 0;
      for (const id of accepted) {
        if (!this.matches(s, id)) continue;
        t.expected++;
        if (!s.seen.has(id)) missing++;
      }
      for (const id of s.seen) if (!accepted.has(id)) t.unexpected++;
      t.delivered += s.seen.size;
      t.missing += missing;
      if (missing > 0) t.subscribersMissing++;
      t.duplicates += s.duplicates;
      t.unexpected += s.unexpected;
    }
    return t;
  }

  private matches(s: Subscriber, id: string): boolean {
    return s.author < 0 || this.authorOfEvent.get(id) === s.author;
  }
}
