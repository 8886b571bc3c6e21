import type { RawClient } from '@nrelay/testkit';

/**
 * Counts, incrementally, what one RawClient received: EVENT frames per subscription and event
 * id, the subscriptions that got EOSE or CLOSED, and OK frames per event id (with the answers).
 */
export class FrameTally {
  /** sub id → event id → copies received. */
  readonly events = new Map<string, Map<string, number>>();
  readonly eose = new Set<string>();
  readonly closed = new Map<string, string>();
  /** event id → every OK answer received for it, in order. */
  readonly oks = new Map<string, Array<{ ok: boolean; message: string; at: number }>>();
  private next = 0;

  constructor(readonly client: RawClient) {}

  /** Reads the frames that arrived since the last call. */
  update(): this {
    const frames = this.client.frames;
    for (; this.next < frames.length; this.next++) {
      const m = frames[this.next]!.msg;
      if (m === undefined) continue;
      if (m[0] === 'EVENT' && typeof m[1] === 'string') {
        const id = (m[2] as { id?: unknown } | null)?.id;
        if (typeof id !== 'string') continue;
        let perSub = this.events.get(m[1]);
        if (perSub === undefined) {
          perSub = new Map();
          this.events.set(m[1], perSub);
        }
        perSub.set(id, (perSub.get(id) ?? 0) + 1);
      } else if (m[0] === 'EOSE' && typeof m[1] === 'string') {
        this.eose.add(m[1]);
      } else if (m[0] === 'CLOSED' && typeof m[1] === 'string') {
        this.closed.set(m[1], String(m[2]));
      } else if (m[0] === 'OK' && typeof m[1] === 'string') {
        const list = this.oks.get(m[1]) ?? [];
        list.push({ ok: m[2] === true, message: String(m[3]), at: Date.now() });
        this.oks.set(m[1], list);
      }
    }
    return this;
  }

  /** Copies of `eventId` received on `subId`. */
  copies(subId: string, eventId: string): number {
    return this.events.get(subId)?.get(eventId) ?? 0;
  }
}
