import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawClient } from '@nrelay/testkit';
import { flipHex, idOf, newKeys, nowSec, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { assertPrefix, assertRefused, assertUsable, type SuiteContext, T, withClient } from './context.js';
import { DEFAULT_LIMITATION } from './nip11.js';

/** Sends `frame` and expects a NOTICE, then a working connection. */
async function expectNotice(c: RawClient, frame: string, what: string): Promise<void> {
  const from = c.mark();
  await c.send(frame);
  const f = await c.waitFor((m) => m[0] === 'NOTICE', { from, what: `NOTICE for ${what}` });
  assert.ok(typeof f.msg[1] === 'string' && f.msg[1].length > 0, `empty NOTICE: ${f.raw}`);
  await assertUsable(c);
}

/**
 * Sends an EVENT whose body is `text` and expects `["OK", id, false, "invalid: …"]` (or, with
 * `allowNotice`, a NOTICE starting `invalid:`), a working connection, and nothing stored.
 */
async function expectInvalidEvent(
  c: RawClient,
  text: string,
  id: string,
  allowNotice: boolean,
  what: string,
): Promise<void> {
  const from = c.mark();
  await c.send(`["EVENT",${text}]`);
  const f = await c.waitFor((m) => (m[0] === 'OK' && m[1] === id) || (allowNotice && m[0] === 'NOTICE'), {
    from,
    what: allowNotice ? `OK false or NOTICE for ${what}` : `OK for ${what}`,
  });
  if (f.msg[0] === 'OK') {
    assert.equal(f.msg[2], false, `${what} was accepted: ${f.raw}`);
    assertPrefix(f.msg[3], 'invalid:', what);
  } else {
    assertPrefix(f.msg[1], 'invalid:', what);
  }
  await assertUsable(c);
  const r = await c.query([{ ids: [id] }]);
  assert.equal(r.events.length, 0, `${what} was stored`);
}

function withField(e: NostrEvent, field: string, value: unknown): string {
  return JSON.stringify({ ...e, [field]: value });
}

/** Malformed and over-limit input, each answered in protocol form on a connection that survives. */
export function badInputTests(ctx: SuiteContext): void {
  const inClient = (fn: (c: RawClient) => Promise<void>) => () => withClient(ctx.relay.url, fn);

  describe('bad input: frames', () => {
    it(
      'malformed JSON gets a NOTICE',
      T,
      inClient((c) => expectNotice(c, '["REQ","x",{', 'malformed JSON')),
    );
    it(
      'a non-array message gets a NOTICE',
      T,
      inClient(async (c) => {
        await expectNotice(c, '{"kind":1}', 'an object');
        await expectNotice(c, '"EVENT"', 'a string');
      }),
    );
    it(
      'an unknown verb gets a NOTICE',
      T,
      inClient((c) => expectNotice(c, '["HELLO","x"]', 'unknown verb')),
    );
    it(
      'an EVENT that is not an object gets a NOTICE',
      T,
      inClient((c) => expectNotice(c, '["EVENT","abc"]', 'EVENT string')),
    );
  });

  describe('bad input: events', () => {
    const keys = newKeys();
    it(
      'a wrong id gets OK false invalid:',
      T,
      inClient(async (c) => {
        const e = signEvent(keys);
        const id = flipHex(e.id);
        await expectInvalidEvent(c, withField(e, 'id', id), id, false, 'wrong id');
      }),
    );
    it(
      'a bad signature gets OK false invalid:',
      T,
      inClient(async (c) => {
        const e = signEvent(keys);
        await expectInvalidEvent(c, withField(e, 'sig', flipHex(e.sig, 10)), e.id, false, 'bad signature');
      }),
    );
    it(
      'an uppercase or wrong-length pubkey is invalid',
      T,
      inClient(async (c) => {
        const e = signEvent(keys);
        await expectInvalidEvent(
          c,
          withField(e, 'pubkey', e.pubkey.toUpperCase()),
          e.id,
          true,
          'uppercase pubkey',
        );
        await expectInvalidEvent(c, withField(e, 'pubkey', e.pubkey.slice(2)), e.id, true, '62-char pubkey');
      }),
    );
    for (const kind of [-1, 1.5, 65536]) {
      it(
        `kind ${kind} is invalid even when correctly signed`,
        T,
        inClient(async (c) => {
          const e = signEvent(keys, { kind });
          await expectInvalidEvent(c, JSON.stringify(e), e.id, true, `kind ${kind}`);
        }),
      );
    }
    it(
      'a string or negative created_at is invalid',
      T,
      inClient(async (c) => {
        const signed = signEvent(keys);
        const fields = { ...signed, created_at: String(signed.created_at) };
        const id = idOf(fields);
        await expectInvalidEvent(c, JSON.stringify({ ...fields, id }), id, true, 'string created_at');
        const negative = signEvent(keys, { created_at: -1 });
        await expectInvalidEvent(c, JSON.stringify(negative), negative.id, true, 'negative created_at');
      }),
    );
    it(
      'tags that are not arrays of strings are invalid',
      T,
      inClient(async (c) => {
        const signed = signEvent(keys);
        for (const tags of [[['t', 5]], ['t', 'x'], [['t', null]]]) {
          const id = idOf({ ...signed, tags });
          await expectInvalidEvent(
            c,
            JSON.stringify({ ...signed, tags, id }),
            id,
            true,
            `tags ${JSON.stringify(tags)}`,
          );
        }
      }),
    );
    it(
      'more tags than MAX_EVENT_TAGS gets OK false',
      T,
      inClient(async (c) => {
        const tags = Array.from({ length: DEFAULT_LIMITATION.max_event_tags + 1 }, (_, i) => ['t', `x${i}`]);
        const e = signEvent(keys, { tags });
        assertRefused(await c.publish(e), `${tags.length} tags`);
        await assertUsable(c);
      }),
    );
    it(
      'content over MAX_CONTENT_LENGTH gets OK false',
      T,
      inClient(async (c) => {
        const e = signEvent(keys, { content: 'a'.repeat(DEFAULT_LIMITATION.max_content_length + 1) });
        assertRefused(await c.publish(e), 'long content');
        await assertUsable(c);
      }),
    );
    it(
      'a kind-22242 AUTH event sent as EVENT gets OK false',
      T,
      inClient(async (c) => {
        const e = signEvent(keys, {
          kind: 22242,
          tags: [
            ['relay', ctx.relay.url],
            ['challenge', 'x'],
          ],
          content: '',
        });
        assertRefused(await c.publish(e), 'kind 22242 via EVENT');
        const r = await c.query([{ ids: [e.id] }]);
        assert.equal(r.events.length, 0);
      }),
    );
    it(
      'an event dated too far in the future gets OK false invalid:',
      T,
      inClient(async (c) => {
        const e = signEvent(keys, { created_at: nowSec() + DEFAULT_LIMITATION.created_at_upper_limit + 600 });
        assertRefused(await c.publish(e), 'future created_at', 'invalid:');
      }),
    );
  });
}
