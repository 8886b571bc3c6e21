import type { AccessChangeBus } from '@nrelay/access';
import type { FanoutBus } from '@nrelay/seams/fanout';

/** How long a read waits for the buses' fences before it goes elsewhere (the query service, the primary). */
export const FENCE_TIMEOUT_MS = 1000;

/** The two buses a gateway learns of writes on: stored events and access changes. */
export interface FencedBuses {
  fanout: Pick<FanoutBus, 'fence'>;
  accessChanges: Pick<AccessChangeBus, 'fence'>;
}

/**
 * Both buses' fences at once: true once every event published and every access change
 * announced before the call has been delivered to this gateway, false after an error or
 * `timeoutMs`. The hot window answers only after it; the read-your-writes bound is read after it.
 */
export function fenceBuses(buses: FencedBuses, timeoutMs = FENCE_TIMEOUT_MS): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    Promise.all([buses.fanout.fence(), buses.accessChanges.fence()]).then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}
