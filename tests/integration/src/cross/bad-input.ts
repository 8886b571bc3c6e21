import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { flipHex, newKeys, nowSec, RawClient, signEvent } from '@nrelay/testkit';
import type { ClusterRelay } from '../harness/cluster.js';
import { startStandalone } from '../harness/standalone.js';
import type { RelayUnderTest } from '../harness/types.js';

/** How a relay answered one raw frame: the first answering frame, or the close of the connection. */
async function answerTo(
  url: string,
  frame: string,
  isAnswer: (m: readonly unknown[]) => boolean,
): Promise<string> {
  const c = await RawClient.open(url);
  try {
    const from = c.mark();
    await c.send(frame).catch(() => {}); // the relay may cut the socket mid-write (oversized frame)
    const f = await c
      .waitFor((m) => isAnswer(m), { from, timeoutMs: 10_000, what: 'an answer' })
      .catch(() => undefined);
    if (f === undefined) {
      const closed = c.closed;
      if (closed !== undefined) return `closed ${closed.code}`;
      return `no answer; ${c.frames.map((x) => x.raw.slice(0, 200)).join(' | ')}`;
    }
    const found = f.raw;
    // The connection must survive anything short of an oversized frame.
    const r = await c.query([{ ids: ['e'.repeat(64)] }]).then(
      (q) => q.end,
      (err: unknown) => `follow-up REQ failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return r === 'EOSE' ? found : `${found} then ${r}`;
  } finally {
    c.close();
  }
}

/**
 * Bad input sent to the cluster through HAProxy and to a standalone relay started for the
 * purpose gets the same answer from both, frame by frame; a bad signature is stored by neither.
 */
export function badInputComparisonTests(relay: () => ClusterRelay): void {
  describe('cluster: bad input through HAProxy gets the same answers as standalone', () => {
    let standalone: RelayUnderTest | undefined;
    before(
      async () => {
        standalone = await startStandalone();
      },
      { timeout: 60_000 },
    );
    after(async () => standalone?.stop(), { timeout: 30_000 });

    const keys = newKeys();
    const good = signEvent(keys, { created_at: nowSec() - 30 });
    const badId = { ...good, id: flipHex(good.id) };
    const badSig = { ...good, sig: flipHex(good.sig, 10) };
    const big = signEvent(keys, { content: 'b'.repeat(262_144 + 1000) });
    const cases: Array<[string, string, (m: readonly unknown[]) => boolean]> = [
      ['malformed JSON', '["REQ","x",{', (m) => m[0] === 'NOTICE'],
      ['a non-array message', '{"kind":1}', (m) => m[0] === 'NOTICE'],
      ['an unknown verb', '["HELLO","x"]', (m) => m[0] === 'NOTICE'],
      [
        'an event with a wrong id',
        `["EVENT",${JSON.stringify(badId)}]`,
        (m) => m[0] === 'OK' || m[0] === 'NOTICE',
      ],
      [
        'an event with a bad signature',
        `["EVENT",${JSON.stringify(badSig)}]`,
        (m) => m[0] === 'OK' || m[0] === 'NOTICE',
      ],
      [
        'a filter with an unknown field',
        '["REQ","bad",{"foo":1}]',
        (m) => m[1] === 'bad' || m[0] === 'NOTICE',
      ],
      [
        'a filter with a non-integer limit',
        '["REQ","bad",{"limit":"ten"}]',
        (m) => m[1] === 'bad' || m[0] === 'NOTICE',
      ],
      [
        'a message over MAX_MESSAGE_BYTES',
        `["EVENT",${JSON.stringify(big)}]`,
        (m) => m[0] === 'OK' || m[0] === 'NOTICE',
      ],
      [
        'a frame over MAX_FRAME_BYTES',
        `["EVENT",{"content":"${'c'.repeat(5 * 1024 * 1024)}"}]`,
        (m) => m[0] === 'OK' || m[0] === 'NOTICE',
      ],
    ];
    for (const [label, frame, isAnswer] of cases) {
      it(`${label}`, { timeout: 30_000 }, async (t) => {
        if (standalone === undefined) throw new Error('standalone relay not started');
        const expected = await answerTo(standalone.url, frame, isAnswer);
        const got = await answerTo(relay().url, frame, isAnswer);
        assert.ok(!expected.startsWith('no answer'), `standalone gave no answer: ${expected}`);
        assert.equal(got, expected, `cluster answered differently from standalone to ${label}`);
        t.diagnostic(`both answered: ${got.length > 200 ? `${got.slice(0, 200)}…` : got}`);
      });
    }
    it('a bad-signature event was stored by neither', { timeout: 20_000 }, async () => {
      for (const url of [relay().url, standalone!.url]) {
        const c = await RawClient.open(url);
        try {
          const r = await c.query([{ ids: [good.id] }]);
          assert.deepEqual(r.events, [], `stored at ${url}`);
        } finally {
          c.close();
        }
      }
    });
  });
}
