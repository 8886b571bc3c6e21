import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `intervalMs` until it returns a value other than `undefined`, or throws
 * `what` (and the last error from `check`) after `timeoutMs`.
 */
export async function waitUntil<T>(
  check: () => T | undefined | Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = '';
  for (let round = 0; round < 1_000_000; round++) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 100);
  }
  throw new Error(
    `${opts.what}: not reached within ${opts.timeoutMs} ms${last ? ` (last error: ${last})` : ''}`,
  );
}

/** The HTTP status of GET `url` (bounded by `timeoutMs`), or 0 when unreachable. */
export async function httpStatus(url: string, timeoutMs = 1000): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

/** Waits until GET `url` answers 200. */
export async function waitForReady(url: string, timeoutMs: number, what: string): Promise<void> {
  await waitUntil(async () => ((await httpStatus(url)) === 200 ? true : undefined), {
    timeoutMs,
    intervalMs: 100,
    what: `${what} ready at ${url}`,
  });
}
