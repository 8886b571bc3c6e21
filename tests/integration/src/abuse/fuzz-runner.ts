/**
 * Runs fuzz cases against a relay: each case sent and its first answer checked against what
 * NIP-01 requires (fuzz-oracle.ts), over a few connections while a bystander measures. The
 * cases are made in fuzz-cases.ts and fuzz-mutations.ts; the tests are in fuzz.ts.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { type Message, RawClient } from '@nrelay/testkit';
import type { RelayUnderTest } from '../harness/types.js';
import { assertUsable } from '../suite/context.js';
import { Bystander, type BystanderReport } from './bystander.js';
import type { FuzzCase } from './fuzz-oracle.js';

/** Cases run over this many connections at once, each sequentially. */
const CONNECTIONS = 4;
/** Generous: the machine is shared; the figure is printed. */
const BYSTANDER_MAX_MS = 5000;
/** Longest wait for one answer (an EVENT's OK in the cluster goes through the ingest queue). */
export const ANSWER_MS = 10_000;

const PREFIX = /^(invalid|blocked|rate-limited|auth-required|restricted|pow|duplicate|error|unsupported):/;

/** A refusal must carry a NIP-01 prefix, and bad input is never the relay's transient failure. */
export function checkRefusal(reason: unknown, what: string): void {
  assert.ok(
    typeof reason === 'string' && PREFIX.test(reason),
    `${what}: unprefixed reason ${JSON.stringify(reason)}`,
  );
  assert.ok(
    !reason.startsWith('error:'),
    `${what}: deterministic input answered as a transient failure: ${reason}`,
  );
}

/** `text` cut to 200 characters for a failure message. */
export function clip(text: string): string {
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
    case 'NEG': {
      if (e.refuse === false) {
        await c.barrier();
        const answers = c.frames
          .slice(from)
          .filter((f) => f.msg?.[0] === 'NOTICE' || f.msg?.[0] === 'NEG-ERR');
        assert.deepEqual(answers, [], 'a well-formed NEG-CLOSE was answered');
        return;
      }
      const f = await wait(
        (m) => (m[0] === 'NEG-MSG' || m[0] === 'NEG-ERR') && m[1] === e.subId,
        `NEG answer on ${e.subId}`,
      );
      assert.notEqual(f.msg[0], 'NOTICE', `NOTICE instead of NEG-ERR for a usable sub id: ${clip(f.raw)}`);
      if (f.msg[0] === 'NEG-ERR') {
        // NIP-77's `closed:` (no such session) besides NIP-01's prefixes.
        if (!String(f.msg[2]).startsWith('closed: ')) checkRefusal(f.msg[2], 'NEG-ERR');
        assert.notEqual(e.refuse, false, `a valid ${e.verb} was refused: ${clip(f.raw)}`);
        return;
      }
      assert.notEqual(e.refuse, true, `served: ${clip(f.raw)}`);
      await c.sendJson(['NEG-CLOSE', e.subId]);
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

/** The bystander's REQ latencies in one line. */
export function summary(r: BystanderReport): string {
  const f = (ms: number) => ms.toFixed(1);
  return `bystander REQ p50 ${f(r.p50Ms)} ms, p95 ${f(r.p95Ms)} ms, max ${f(r.maxMs)} ms over ${r.latenciesMs.length} REQs`;
}

/** Fails unless the bystander stayed served and fast and /healthz kept answering. */
export function assertBystander(r: BystanderReport): void {
  assert.deepEqual(r.failures, [], 'the bystander REQ failed');
  assert.deepEqual(r.healthFailures, [], '/healthz did not answer 200');
  assert.ok(r.latenciesMs.length > 0, 'the bystander measured nothing');
  assert.ok(r.maxMs < BYSTANDER_MAX_MS, `${summary(r)}: above ${BYSTANDER_MAX_MS} ms`);
}

/**
 * Runs `cases` against `relay` with a bystander and asserts every case, the bystander and
 * health. Resolves with the ids of the events answered OK true.
 */
export async function runCases(
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
export async function assertServedVerbatim(
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
