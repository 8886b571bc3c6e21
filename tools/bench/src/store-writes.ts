import { type AnnounceTarget, aclChannel, announceStoredEvents } from '@nrelay/access';
import { sleep } from './client.js';
import type { ProgressSink } from './progress.js';
import { metricsUrlOf, readHotWindow } from './relay-memory.js';

/** Where a cluster's announcements go: its Redis and key prefix (REDIS_URL, REDIS_PREFIX). */
export type Announce = AnnounceTarget;

const WARM_TIMEOUT_MS = 600_000;

/**
 * After seeding straight into Postgres (past the ingest path, so past the fanout), tells the
 * cluster as an operator would (docs/operations.md): an `events` announcement on its access
 * channel, so every gateway's hot window re-warms from the store. Waits until each gateway in
 * `gatewayUrls` has finished a warm-up begun after the announcement, so the next step measures
 * warm windows; gateways that export no hot window are not waited for.
 */
export async function announceStoreWrite(
  announce: Announce,
  gatewayUrls: readonly string[],
  progress: ProgressSink,
): Promise<string> {
  const urls = [...new Set(gatewayUrls)].map(metricsUrlOf);
  const before = new Map<string, number>();
  for (const url of urls) {
    const reading = await readHotWindow(url);
    if (reading !== undefined) before.set(url, reading.warmups);
  }
  await announceStoredEvents(announce);
  progress.start('waiting for the gateways’ hot windows to re-warm', before.size);
  const started = performance.now();
  const pending = new Set(before.keys());
  while (pending.size > 0) {
    if (performance.now() - started > WARM_TIMEOUT_MS) {
      throw new Error(
        `hot windows not warm again after ${WARM_TIMEOUT_MS / 1000} s: ${[...pending].join(', ')}`,
      );
    }
    for (const url of [...pending]) {
      const reading = await readHotWindow(url);
      if (reading?.hot && reading.warmups > (before.get(url) ?? 0)) pending.delete(url);
    }
    progress.update(before.size - pending.size);
    if (pending.size > 0) await sleep(250);
  }
  progress.finish();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `announced the direct seeding (an \`events\` change on ${aclChannel(announce.prefix)}); ${before.size} hot window(s) warm again after ${seconds} s`;
}
