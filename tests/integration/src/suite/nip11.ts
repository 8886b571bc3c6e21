import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys } from '@nrelay/testkit';
import type { RelayUnderTest } from '../harness/types.js';
import { type SuiteContext, T } from './context.js';

/** NIP-11 `limitation` keys and the settings they mirror, at their documented defaults. */
export const DEFAULT_LIMITATION = {
  max_message_length: 262144,
  max_subscriptions: 64,
  max_filters: 20,
  max_limit: 5000,
  default_limit: 500,
  max_subid_length: 64,
  max_event_tags: 2500,
  max_content_length: 102400,
  created_at_upper_limit: 900,
} as const;

interface Nip11 {
  self?: unknown;
  supported_nips?: unknown;
  limitation?: Record<string, unknown>;
}

/** GETs the NIP-11 document, failing on anything but a 200 JSON answer. */
export async function fetchNip11(relay: RelayUnderTest): Promise<{ doc: Nip11; headers: Headers }> {
  const res = await fetch(relay.httpUrl, {
    headers: { Accept: 'application/nostr+json' },
    signal: AbortSignal.timeout(5000),
  });
  const body = await res.text();
  assert.equal(res.status, 200, `NIP-11 status ${res.status}: ${body.slice(0, 300)}`);
  let doc: Nip11;
  try {
    doc = JSON.parse(body) as Nip11;
  } catch {
    assert.fail(`NIP-11 body is not JSON: ${body.slice(0, 300)}`);
  }
  return { doc, headers: res.headers };
}

/** Fails unless every key of `expected` appears in the document's `limitation` with that value. */
export function assertLimitation(doc: Nip11, expected: Record<string, number>): void {
  assert.equal(typeof doc.limitation, 'object', `no limitation object: ${JSON.stringify(doc)}`);
  const got: Record<string, unknown> = {};
  for (const key of Object.keys(expected)) got[key] = doc.limitation?.[key];
  assert.deepEqual(got, expected);
}

/** NIP-11 relay information document, CORS and the HTML landing page. */
export function nip11Tests(ctx: SuiteContext): void {
  describe('NIP-11 relay information', () => {
    it('serves JSON with supported_nips and the default limitation', T, async () => {
      const { doc, headers } = await fetchNip11(ctx.relay);
      assert.match(headers.get('content-type') ?? '', /application\/(nostr\+)?json/);
      assert.ok(Array.isArray(doc.supported_nips), `supported_nips: ${JSON.stringify(doc.supported_nips)}`);
      for (const nip of [1, 9, 11, 40, 45, 50, 62]) {
        assert.ok(
          (doc.supported_nips as unknown[]).includes(nip),
          `supported_nips lacks ${nip}: ${JSON.stringify(doc.supported_nips)}`,
        );
      }
      assertLimitation(doc, DEFAULT_LIMITATION);
      // RELAY_SELF unset: the pubkey generated for the relay's database at its first migration.
      assert.match(String(doc.self), /^[0-9a-f]{64}$/, 'self: the generated relay identity');
      const lower = doc.limitation?.created_at_lower_limit;
      assert.ok(lower === undefined || lower === 0, `created_at_lower_limit is off by default, got ${lower}`);
      const pow = doc.limitation?.min_pow_difficulty;
      assert.ok(pow === undefined || pow === 0, `min_pow_difficulty is off by default, got ${pow}`);
    });

    it('lists the relay key as self when RELAY_SELF is set', { timeout: 90_000 }, async () => {
      const self = newKeys().pk;
      const relay = await ctx.start({ env: { RELAY_SELF: self } });
      try {
        const { doc } = await fetchNip11(relay);
        assert.equal(doc.self, self);
        assertLimitation(doc, { default_limit: DEFAULT_LIMITATION.default_limit });
      } finally {
        await relay.stop();
      }
    });

    it('sends the CORS headers on the document and answers a preflight', T, async () => {
      const { headers } = await fetchNip11(ctx.relay);
      for (const h of [
        'access-control-allow-origin',
        'access-control-allow-headers',
        'access-control-allow-methods',
      ]) {
        assert.ok(headers.get(h), `missing ${h}`);
      }
      const pre = await fetch(ctx.relay.httpUrl, {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://client.example',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'accept',
        },
        signal: AbortSignal.timeout(5000),
      });
      assert.ok(pre.status >= 200 && pre.status < 300, `preflight status ${pre.status}`);
      assert.ok(
        pre.headers.get('access-control-allow-origin'),
        'preflight lacks access-control-allow-origin',
      );
    });

    it('a plain GET returns HTML', T, async () => {
      const res = await fetch(ctx.relay.httpUrl, {
        headers: { Accept: 'text/html' },
        signal: AbortSignal.timeout(5000),
      });
      const body = await res.text();
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
      assert.match(body, /<html|<!doctype html/i);
    });
  });
}
