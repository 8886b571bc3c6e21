import assert from 'node:assert/strict';
import { type Keys, type Message, newKeys, RawClient } from '@nrelay/testkit';
import { makeAuthEvent } from 'nostr-tools/nip42';
import { finalizeEvent } from 'nostr-tools/pure';
import { WebSocket } from 'ws';

const isChallenge = (m: Message) => m[0] === 'AUTH' && typeof m[1] === 'string';

/**
 * This connection's NIP-42 challenge: the one sent on connect, else provoked by an AUTH the
 * relay must refuse (a relay answers an unchallenged AUTH with the challenge first).
 */
async function challengeOf(c: RawClient): Promise<string> {
  const early = await c
    .waitFor(isChallenge, { timeoutMs: 300, what: 'AUTH challenge' })
    .catch(() => undefined);
  if (early) return early.msg[1] as string;
  const from = c.mark();
  const probe = finalizeEvent(makeAuthEvent('ws://probe.invalid', 'not-the-challenge'), newKeys().sk);
  await c.sendJson(['AUTH', probe]);
  const f = await c.waitFor(isChallenge, { from, what: 'AUTH challenge after a refused AUTH' });
  await c.waitFor((m) => m[0] === 'OK' && m[1] === probe.id, { from, what: 'OK for the probe AUTH' });
  return f.msg[1] as string;
}

/** Authenticates the connection as `keys` (NIP-42) and fails unless the relay says OK true. */
export async function authenticate(c: RawClient, url: string, keys: Keys): Promise<void> {
  const challenge = await challengeOf(c);
  const event = finalizeEvent(makeAuthEvent(url, challenge), keys.sk);
  const from = c.mark();
  await c.sendJson(['AUTH', event]);
  const ok = await c.waitFor((m) => m[0] === 'OK' && m[1] === event.id, { from, what: 'OK for AUTH' });
  assert.equal(ok.msg[2], true, `AUTH as ${keys.pk} refused: ${ok.raw}`);
}

/** Opens a connection, authenticated as each of `as` in turn. */
export async function openAs(url: string, ...as: Keys[]): Promise<RawClient> {
  const c = await RawClient.open(url);
  for (const keys of as) await authenticate(c, url, keys);
  return c;
}

/** `["COUNT", ...]` and its answer: the count, or the CLOSED reason. */
export async function countOf(c: RawClient, filters: unknown[]): Promise<number | string> {
  const subId = c.nextSubId('count');
  const from = c.mark();
  await c.sendJson(['COUNT', subId, ...filters]);
  const f = await c.waitFor((m) => (m[0] === 'COUNT' || m[0] === 'CLOSED') && m[1] === subId, {
    from,
    what: `COUNT answer for ${subId}`,
  });
  if (f.msg[0] === 'CLOSED') return String(f.msg[2]);
  return (f.msg[2] as { count: number }).count;
}

/** The HTTP status a WebSocket upgrade gets (101 when it opens), with optional request headers. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(0);
    }, 5000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      clearTimeout(timer);
      resolve(101);
      ws.close();
    });
    ws.on('error', () => {
      clearTimeout(timer);
      resolve(0);
    });
  });
}
