import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newKeys, RawClient, signEvent } from '@nrelay/testkit';
import type { RelayUnderTest, StartRelay } from '../harness/types.js';
import { assertUsable, relayForBlock } from '../suite/context.js';
import { fetchNip11 } from '../suite/nip11.js';
import { Bystander, type BystanderReport } from './bystander.js';
import { bulkCases, tableCases } from './fuzz-cases.js';
import { mutatedCases } from './fuzz-mutations.js';
import {
  ANSWER_MS,
  assertBystander,
  assertServedVerbatim,
  checkRefusal,
  clip,
  runCases,
  summary,
} from './fuzz-runner.js';

const SEED = 0x5eed10;
const MUTATIONS = 800;
const TEST = { timeout: 180_000 } as const;
/**
 * Malformed input is this module's topic; floods are another's. The fuzz cases are sent one at
 * a time per connection, but fast: a per-connection REQ rate limit would answer them all
 * `rate-limited:` and hide the answer each case must get.
 */
const FUZZ_ENV = { RATE_REQS_PER_CONNECTION: '0' };

/** Invalid UTF-8 in text frames: each must close its connection with 1007 and nothing else. */
const INVALID_UTF8: readonly (readonly [string, Buffer])[] = [
  ['a lone 0xff byte', Buffer.from([0xff])],
  [
    'a bad continuation in a REQ',
    Buffer.concat([Buffer.from('["REQ","u",{"#t":["'), Buffer.from([0xc3, 0x28]), Buffer.from('"]}]')]),
  ],
  [
    'an overlong "/"',
    Buffer.concat([Buffer.from('["NOTICE","'), Buffer.from([0xc0, 0xaf]), Buffer.from('"]')]),
  ],
  [
    'a UTF-8-encoded surrogate',
    Buffer.concat([Buffer.from('["CLOSE","'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"]')]),
  ],
  ['a truncated 4-byte sequence', Buffer.from([0x5b, 0x22, 0xf0, 0x9f, 0x98])],
  ['a 5-byte sequence', Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])],
];

/** One frame per verb just over MAX_MESSAGE_BYTES: refused with a prefix, unparsed; the connection stays. */
async function oversizedFrames(c: RawClient, relay: RelayUnderTest): Promise<void> {
  const { doc } = await fetchNip11(relay);
  const pad = 'x'.repeat(Number(doc.limitation?.max_message_length) + 100);
  const id = 'a'.repeat(64);
  const frames = [
    `["REQ","big",{"#t":["${pad}"]}]`,
    `["COUNT","big",{"search":"${pad}"}]`,
    `["CLOSE","${pad}"]`,
    `["AUTH",{"id":"${id}","content":"${pad}"}]`,
    `["EVENT",{"content":"${pad}","id":"${id}"}]`,
    `["${pad}"]`,
  ];
  for (const frame of frames) {
    const from = c.mark();
    await c.send(frame);
    const f = await c.waitFor((m) => ['NOTICE', 'OK', 'CLOSED'].includes(m[0] as string), {
      from,
      timeoutMs: ANSWER_MS,
      what: `an answer to ${frame.slice(0, 12)}… over MAX_MESSAGE_BYTES`,
    });
    checkRefusal(
      f.msg[0] === 'NOTICE' ? f.msg[1] : f.msg[f.msg.length - 1],
      `oversized ${frame.slice(0, 12)}`,
    );
    if (f.msg[0] === 'OK') assert.equal(f.msg[2], false, `oversized frame accepted: ${clip(f.raw)}`);
    await assertUsable(c);
  }
}

/** The fuzz classes of the abuse suite (issue 10) against one relay. */
export function fuzzTests(start: StartRelay): void {
  describe('fuzz: every field of every verb, huge and deep values, seeded mutations, raw frames', () => {
    const ctx = relayForBlock(start, { env: FUZZ_ENV });
    const keys = newKeys();
    const base = signEvent(keys, { content: 'fuzz base' });
    const auth = signEvent(keys, {
      kind: 22242,
      tags: [
        ['relay', 'ws://127.0.0.1/'],
        ['challenge', 'x'],
      ],
      content: '',
    });
    const servable = new Set([JSON.stringify(base)]);

    it('verbs × fields × bad values: each answered in protocol form', TEST, async (t) => {
      await runCases(t, ctx.relay, tableCases(base, auth, servable));
    });

    it('huge arrays, deep nesting and odd signed events within MAX_MESSAGE_BYTES', TEST, async (t) => {
      const { doc } = await fetchNip11(ctx.relay);
      const max = Number(doc.limitation?.max_message_length);
      assert.ok(Number.isSafeInteger(max) && max > 4096, `NIP-11 max_message_length ${max}`);
      const cases = bulkCases(max, servable);
      const accepted = await runCases(t, ctx.relay, cases);
      t.diagnostic(`${accepted.size} odd but valid events accepted; each served back verbatim`);
      assert.ok(accepted.size > 0, 'no odd event was accepted');
      await assertServedVerbatim(ctx.relay, cases, accepted);
    });

    it(`seeded mutations of valid messages (seed ${SEED}, ${MUTATIONS} cases)`, TEST, async (t) => {
      const tagged = signEvent(keys, {
        tags: [
          ['t', 'fuzz'],
          ['e', base.id, 'wss://x'],
        ],
      });
      servable.add(JSON.stringify(tagged));
      const filter = {
        ids: [base.id],
        authors: [keys.pk],
        kinds: [1, 7],
        '#t': ['fuzz'],
        since: 0,
        until: 2 ** 31,
        limit: 5,
      };
      const templates = [
        JSON.stringify(['EVENT', tagged]),
        JSON.stringify(['AUTH', auth]),
        JSON.stringify(['REQ', 'SUB', filter, { search: 'fuzz base' }]),
        JSON.stringify(['COUNT', 'SUB', filter]),
        JSON.stringify(['CLOSE', 'SUB']),
      ];
      await runCases(t, ctx.relay, mutatedCases(SEED, MUTATIONS, templates, servable));
    });

    it(
      'invalid UTF-8 closes only its own connection with 1007; binary and oversized frames are refused',
      TEST,
      async (t) => {
        const bystander = await Bystander.start(ctx.relay);
        let report: BystanderReport;
        try {
          for (const [label, bytes] of INVALID_UTF8) {
            const c = await RawClient.open(ctx.relay.url);
            await c.sendBytes(bytes, false).catch(() => {});
            const closed = await c.waitClose(ANSWER_MS);
            assert.equal(closed.code, 1007, `${label}: close code ${closed.code} "${closed.reason}"`);
          }
          const c = await RawClient.open(ctx.relay.url);
          for (const bytes of [
            Buffer.from('["REQ","b",{}]'),
            Buffer.alloc(0),
            Buffer.from([0, 0xff, 0xfe]),
          ]) {
            const from = c.mark();
            await c.sendBytes(bytes, true);
            const f = await c.waitFor((m) => m[0] === 'NOTICE' || m[1] === 'b', {
              from,
              what: 'NOTICE for a binary frame',
            });
            assert.equal(f.msg[0], 'NOTICE', `binary frame answered ${f.raw}`);
            checkRefusal(f.msg[1], 'binary frame NOTICE');
          }
          await assertUsable(c);
          await oversizedFrames(c, ctx.relay);
          c.close();
        } finally {
          report = await bystander.stop();
        }
        t.diagnostic(summary(report));
        assertBystander(report);
      },
    );
  });
}
