import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { newKeys, signEvent } from '../harness/events.js';
import { type Message, RawClient } from '../harness/raw-client.js';
import type { RelayUnderTest, StartRelay } from '../harness/types.js';
import { assertUsable, relayForBlock } from '../suite/context.js';
import { fetchNip11 } from '../suite/nip11.js';
import { Bystander, type BystanderReport } from './bystander.js';
import { bulkCases, mutatedCases, tableCases } from './fuzz-cases.js';
import type { FuzzCase } from './fuzz-oracle.js';

/** Cases run over this many connections at once, each sequentially. */
const CONNECTIONS = 4;
/** Generous: the machine is shared; the figure is printed. */
const BYSTANDER_MAX_MS = 5000;
/** Longest wait for one answer (an EVENT's OK in the cluster goes through the ingest queue). */
const ANSWER_MS = 10_000;
const SEED = 0x5eed10;
const MUTATIONS = 800;
const TEST = { timeout: 180_000 } as const;
/**
 * Malformed input is this module's topic; floods are another's. The fuzz cases are sent one at
 * a time per connection, but fast: a per-connection REQ rate limit would answer them all
 * `rate-limited:` and hide the answer each case must get.
 */
const FUZZ_ENV = { RATE_REQS_PER_CONNECTION: '0' };

const PREFIX = /^(invalid|blocked|rate-limited|auth-required|restricted|pow|duplicate|error|unsupported):/;

/** A refusal must carry a NIP-01 prefix, and bad input is never the relay's transient failure. */
function checkRefusal(reason: unknown, what: string): void {
  assert.ok(
    typeof reason === 'string' && PREFIX.test(reason),
    `${what}: unprefixed reason ${JSON.stringify(reason)}`,
  );
  assert.ok(
    !reason.startsWith('error:'),
    `${what}: deterministic input answered as a transient failure: ${reason}`,
  );
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}… (${text.length} chars)` : text;
}

/** Sends one case and checks the first answer it gets against what NIP-01 requires. */
async function checkCase(c: RawClient, fc: FuzzCase, accepted: Set<string>): Promise<void> {
  const from = c.mark();
  await c.send(fc.frame);
  const e = fc.expected;
  const wait = (pred: (m: Message) => boolean, what: string) =>
    c.waitFor((m) => pred(m) || m[0] === 'NOTICE', { from, timeoutMs: ANSWER_MS, what });
  switch (e.form) {
    case 'OK': {
      const f = await wait((m) => m[0] === 'OK' && m[1] === e.id, `OK for ${e.id}`);
      assert.equal(f.msg[0], 'OK', `NOTICE instead of OK false: ${clip(f.raw)}`);
      assert.ok(typeof f.msg[2] === 'boolean' && typeof f.msg[3] === 'string', `malformed OK ${clip(f.raw)}`);
      if (f.msg[2] === false) checkRefusal(f.msg[3], 'OK false');
      else assert.notEqual(e.refuse, true, `accepted: ${clip(f.raw)}`);
      if (f.msg[2] === true) accepted.add(e.id);
      return;
    }
    case 'SUB': {
      const served = e.verb === 'REQ' ? 'EOSE' : 'COUNT';
      const f = await wait(
        (m) => (m[0] === served || m[0] === 'CLOSED') && m[1] === e.subId,
        `answer on ${e.subId}`,
      );
      assert.notEqual(f.msg[0], 'NOTICE', `NOTICE instead of CLOSED for a usable sub id: ${clip(f.raw)}`);
      if (f.msg[0] === 'CLOSED') {
        checkRefusal(f.msg[2], 'CLOSED');
        assert.notEqual(e.refuse, false, `a valid ${e.verb} was refused: ${clip(f.raw)}`);
        return;
      }
      assert.notEqual(e.refuse, true, `served: ${clip(f.raw)}`);
      if (e.verb === 'REQ') await c.sendJson(['CLOSE', e.subId]);
      else
        assert.equal(
          typeof (f.msg[2] as { count?: unknown })?.count,
          'number',
          `malformed COUNT ${clip(f.raw)}`,
        );
      return;
    }
    case 'CLOSE': {
      await c.barrier();
      const answers = c.frames.slice(from).filter((f) => f.msg?.[0] === 'NOTICE' || f.msg?.[0] === 'CLOSED');
      if (e.wellFormed) assert.deepEqual(answers, [], 'a well-formed CLOSE was answered');
      else assert.ok(answers.length > 0, 'a malformed CLOSE got no answer');
      return;
    }
    case 'NOTICE': {
      const f = await c.waitFor((m) => ['NOTICE', 'OK', 'CLOSED', 'EOSE', 'COUNT'].includes(m[0] as string), {
        from,
        timeoutMs: ANSWER_MS,
        what: 'NOTICE',
      });
      assert.equal(f.msg[0], 'NOTICE', `expected a NOTICE, got ${clip(f.raw)}`);
      assert.ok(typeof f.msg[1] === 'string' && f.msg[1].length > 0, `empty NOTICE ${clip(f.raw)}`);
    }
  }
}

/** Runs `cases` over a few connections while a bystander measures; every problem is collected. */
async function runShare(
  url: string,
  cases: readonly FuzzCase[],
  problems: string[],
  accepted: Set<string>,
): Promise<void> {
  let c = await RawClient.open(url);
  try {
    for (let i = 0; i < cases.length; i++) {
      const fc = cases[i]!;
      try {
        await checkCase(c, fc, accepted);
        if (i % 25 === 24 || i === cases.length - 1) await assertUsable(c);
      } catch (err) {
        problems.push(`${fc.name} [${clip(fc.frame)}]: ${clip(String((err as Error).message))}`);
        if (c.closed) {
          problems.push(`  … and the connection closed (${JSON.stringify(c.closed)})`);
          c = await RawClient.open(url);
        }
      }
    }
  } finally {
    c.close();
  }
}

function summary(r: BystanderReport): string {
  const f = (ms: number) => ms.toFixed(1);
  return `bystander REQ p50 ${f(r.p50Ms)} ms, p95 ${f(r.p95Ms)} ms, max ${f(r.maxMs)} ms over ${r.latenciesMs.length} REQs`;
}

/** Fails unless the bystander stayed served and fast and /healthz kept answering. */
function assertBystander(r: BystanderReport): void {
  assert.deepEqual(r.failures, [], 'the bystander REQ failed');
  assert.deepEqual(r.healthFailures, [], '/healthz did not answer 200');
  assert.ok(r.latenciesMs.length > 0, 'the bystander measured nothing');
  assert.ok(r.maxMs < BYSTANDER_MAX_MS, `${summary(r)}: above ${BYSTANDER_MAX_MS} ms`);
}

/**
 * Runs `cases` against `relay` with a bystander and asserts every case, the bystander and
 * health. Resolves with the ids of the events answered OK true.
 */
async function runCases(
  t: TestContext,
  relay: RelayUnderTest,
  cases: readonly FuzzCase[],
): Promise<Set<string>> {
  const accepted = new Set<string>();
  const bystander = await Bystander.start(relay);
  const problems: string[] = [];
  const t0 = Date.now();
  let report: BystanderReport;
  try {
    const shares = Array.from({ length: CONNECTIONS }, (_, k) =>
      cases.filter((_, i) => i % CONNECTIONS === k),
    );
    await Promise.all(shares.map((share) => runShare(relay.url, share, problems, accepted)));
  } finally {
    report = await bystander.stop();
  }
  const forms = new Map<string, number>();
  for (const fc of cases) forms.set(fc.expected.form, (forms.get(fc.expected.form) ?? 0) + 1);
  const mix = [...forms].map(([form, n]) => `${n} ${form}`).join(', ');
  t.diagnostic(`${cases.length} cases (${mix}) in ${Date.now() - t0} ms over ${CONNECTIONS} connections`);
  t.diagnostic(summary(report));
  assert.equal(problems.length, 0, `${problems.length} wrong answers:\n${problems.slice(0, 30).join('\n')}`);
  assertBystander(report);
  await RawClient.open(relay.url).then(async (c) => {
    await assertUsable(c);
    c.close();
  });
  return accepted;
}

/** Every event answered OK true is served back by id, byte for byte as it was sent. */
async function assertServedVerbatim(
  relay: RelayUnderTest,
  cases: readonly FuzzCase[],
  accepted: Set<string>,
) {
  const sent = new Map<string, string>();
  for (const fc of cases) {
    if (fc.expected.form === 'OK' && accepted.has(fc.expected.id))
      sent.set(fc.expected.id, fc.frame.slice(9, -1));
  }
  const c = await RawClient.open(relay.url);
  try {
    const r = await c.query([{ ids: [...sent.keys()] }], { timeoutMs: ANSWER_MS });
    assert.equal(r.end, 'EOSE', `REQ for the accepted events was CLOSED: ${r.reason}`);
    const served = new Map(r.events.map((e, i) => [e.id, r.texts[i]!]));
    for (const [id, text] of sent) {
      assert.ok(served.has(id), `event ${id} was answered OK true but is not served`);
      assert.equal(served.get(id), text, `event ${id} is not served verbatim`);
    }
  } finally {
    c.close();
  }
}

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
