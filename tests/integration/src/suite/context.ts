import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { type OkReply, RawClient } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import type { RelayUnderTest, StartOptions, StartRelay } from '../harness/types.js';

/** Per-test bound: no test waits longer than this for anything. */
export const T = { timeout: 20_000 } as const;

/** What every test module gets: the relay of the enclosing block and a way to start others. */
export interface SuiteContext {
  readonly relay: RelayUnderTest;
  readonly start: StartRelay;
}

/**
 * Starts one relay before the tests of the enclosing `describe` and stops it after them.
 * Tests read `relay` only while they run.
 */
export function relayForBlock(start: StartRelay, opts?: StartOptions): SuiteContext {
  let relay: RelayUnderTest | undefined;
  before(
    async () => {
      relay = await start(opts);
    },
    { timeout: 60_000 },
  );
  after(
    async () => {
      await relay?.stop();
    },
    { timeout: 30_000 },
  );
  return {
    start,
    get relay(): RelayUnderTest {
      if (relay === undefined) throw new Error('relay not started (its before hook failed)');
      return relay;
    },
  };
}

/** Runs `fn` with a fresh raw connection that is closed afterwards. */
export async function withClient<R>(url: string, fn: (c: RawClient) => Promise<R>): Promise<R> {
  const c = await RawClient.open(url);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Fails unless `message` is a string starting with `prefix`. */
export function assertPrefix(message: unknown, prefix: string, what: string): void {
  assert.equal(typeof message, 'string', `${what}: message is not a string: ${JSON.stringify(message)}`);
  assert.ok(
    (message as string).startsWith(prefix),
    `${what}: expected a message starting with "${prefix}", got ${JSON.stringify(message)}`,
  );
}

/** Fails unless `message` carries a NIP-01 machine-readable prefix (`word:`). */
export function assertMachinePrefix(message: unknown, what: string): void {
  assert.ok(
    typeof message === 'string' && /^[a-z-]+:/.test(message),
    `${what}: expected a "prefix: reason" message, got ${JSON.stringify(message)}`,
  );
}

/** Fails unless the relay accepted the event. */
export function assertAccepted(reply: OkReply, what: string): void {
  assert.equal(reply.ok, true, `${what}: relay answered ${reply.raw}`);
}

/** Fails unless the relay refused the event with a prefixed reason (`prefix` if given). */
export function assertRefused(reply: OkReply, what: string, prefix?: string): void {
  assert.equal(reply.ok, false, `${what}: relay answered ${reply.raw}`);
  if (prefix === undefined) assertMachinePrefix(reply.message, what);
  else assertPrefix(reply.message, prefix, what);
}

/** Publishes each event in order and fails on the first that is not accepted. */
export async function publishAll(c: RawClient, events: readonly NostrEvent[]): Promise<void> {
  for (const e of events) assertAccepted(await c.publish(e), `publishing ${e.id}`);
}

/** A REQ after the fact must still get its EOSE: the connection survived whatever came before. */
export async function assertUsable(c: RawClient): Promise<void> {
  assert.equal(c.closed, undefined, `connection was closed: ${JSON.stringify(c.closed)}`);
  const r = await c.query([{ ids: ['e'.repeat(64)] }]);
  assert.equal(r.end, 'EOSE', `follow-up REQ was CLOSED: ${r.reason}`);
}

/** The ids of `events`, in order. */
export function idsOf(events: readonly { id: string }[]): string[] {
  return events.map((e) => e.id);
}

/** The ids of `events`, sorted, for order-insensitive comparison. */
export function idSet(events: readonly { id: string }[]): string[] {
  return idsOf(events).sort();
}
