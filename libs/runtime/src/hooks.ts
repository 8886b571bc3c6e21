/**
 * The runner of `reject*` hook lists, shared by the gateway and ingest. A hook answers a reason
 * (refuse), undefined (let through), or a promise of either. The runner stays synchronous while
 * the hooks do, so sync hooks cost what a loop costs and an empty list one length check; from
 * the first promise on it awaits the rest in order.
 */

/** A `reject*` hook's verdict: a reason refuses, undefined lets the input through. */
export type Rejection = string | undefined;

/** A value or a promise of it. */
export type MaybePromise<T> = T | Promise<T>;

/** A `reject*` hook over two arguments (the input and who sent it). */
export type RejectHook<A, B> = (a: A, b: B) => MaybePromise<Rejection>;

/** Where a failing hook is logged. */
export interface HookLogger {
  error(obj: object, msg?: string): void;
}

/** The answer when a `reject*` hook throws or its promise rejects (with a logger given). */
export const HOOK_FAILED_REASON = 'error: internal error';

const PREFIXED = /^[a-z-]+: /;

/** A hook's reason as sent to clients: kept when already prefixed, else marked `blocked:`. */
export function prefixedReason(reason: string): string {
  return PREFIXED.test(reason) ? reason : `blocked: ${reason}`;
}

/**
 * Runs `reject*` hooks in order; the first reason (prefixed) wins and later hooks do not run.
 * Only strings refuse: undefined, null or any other value lets the input through. The result is
 * synchronous unless a hook returned a promise.
 *
 * With `logger`, a hook that throws or rejects is logged and the input is refused with
 * {@link HOOK_FAILED_REASON} (fail closed: a broken policy must not let everything through).
 * Without it the error propagates to the caller.
 */
export function firstRejection<A, B>(
  hooks: ReadonlyArray<RejectHook<A, B>>,
  a: A,
  b: B,
  logger?: HookLogger,
): MaybePromise<Rejection> {
  let i = 0;
  try {
    for (; i < hooks.length; i++) {
      const reason = hooks[i]!(a, b);
      if (reason === undefined) continue;
      if (typeof reason === 'string') return prefixedReason(reason);
      if (isThenable(reason)) return awaitRest(reason, hooks, i + 1, a, b, logger);
    }
  } catch (err) {
    if (logger === undefined) throw err;
    logger.error({ err, hook: i }, 'reject hook failed');
    return HOOK_FAILED_REASON;
  }
  return undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

async function awaitRest<A, B>(
  pending: unknown,
  hooks: ReadonlyArray<RejectHook<A, B>>,
  from: number,
  a: A,
  b: B,
  logger: HookLogger | undefined,
): Promise<Rejection> {
  let i = from - 1;
  try {
    let reason: unknown = await pending;
    for (;;) {
      if (typeof reason === 'string') return prefixedReason(reason);
      if (++i >= hooks.length) return undefined;
      reason = await hooks[i]!(a, b);
    }
  } catch (err) {
    if (logger === undefined) throw err;
    logger.error({ err, hook: i }, 'reject hook failed');
    return HOOK_FAILED_REASON;
  }
}

/**
 * Runs `hooks` over each item in turn (e.g. every filter of a REQ); the first reason wins.
 * Synchronous unless a hook returned a promise.
 */
export function firstRejectionOfEach<A, B>(
  hooks: ReadonlyArray<RejectHook<A, B>>,
  items: readonly A[],
  b: B,
  logger?: HookLogger,
): MaybePromise<Rejection> {
  for (let i = 0; i < items.length; i++) {
    const verdict = firstRejection(hooks, items[i]!, b, logger);
    if (verdict === undefined) continue;
    if (typeof verdict === 'string') return verdict;
    return verdict.then((reason) =>
      reason === undefined ? firstRejectionOfEach(hooks, items.slice(i + 1), b, logger) : reason,
    );
  }
  return undefined;
}
