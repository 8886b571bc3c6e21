import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WireFormatError } from '../wire.js';
import { decodeFanout, encodeFanout } from './codec.js';
import type { FanoutMessage } from './seam.js';

const event = {
  id: 'a'.repeat(64),
  pubkey: 'b'.repeat(64),
  created_at: 1_700_000_000,
  kind: 1,
  tags: [['p', 'c'.repeat(64)]],
  content: 'line one\nline "two" \u00e9',
  sig: 'd'.repeat(128),
};
// Pretty-printed on purpose: the original text, newlines and all, must survive untouched.
const raw = JSON.stringify(event, null, 2);

test('the raw event text travels verbatim after a one-line header', () => {
  const message: FanoutMessage = { v: 1, event, raw, acceptedAt: 1234, trace: { traceparent: '00-x-y-01' } };
  const payload = encodeFanout(message);
  assert.equal(payload, '{"v":1,"a":1234,"t":{"traceparent":"00-x-y-01"}}\n' + raw);
  const decoded = decodeFanout(payload);
  assert.equal(decoded.raw, raw);
  assert.deepEqual(decoded, message);
});

test('no trace, no "t"', () => {
  const payload = encodeFanout({ v: 1, event, raw, acceptedAt: 5 });
  assert.ok(payload.startsWith('{"v":1,"a":5}\n'));
  assert.equal(decodeFanout(payload).trace, undefined);
});

test('the commit LSN rides in "l"; a message without it (an older ingest) still decodes', () => {
  const message: FanoutMessage = { v: 1, event, raw, acceptedAt: 7, lsn: '0/16B3748' };
  const payload = encodeFanout(message);
  assert.ok(payload.startsWith('{"v":1,"a":7,"l":"0/16B3748"}\n'));
  assert.deepEqual(decodeFanout(payload), message);
  assert.equal(decodeFanout('{"v":1,"a":7}\n' + raw).lsn, undefined);
  assert.throws(() => decodeFanout('{"v":1,"a":7,"l":5}\n' + raw), WireFormatError);
});

test('malformed or unknown-version payloads are refused', () => {
  const bad = [
    raw, // no header
    '{"v":2,"a":1}\n' + raw,
    '{"a":1}\n' + raw,
    '{"v":1,"a":"1"}\n' + raw,
    '{"v":1,"a":1,"t":{"x":1}}\n' + raw,
    'nope\n' + raw,
    '{"v":1,"a":1}\n{"id":"x"}',
    '{"v":1,"a":1}\n[1,2]',
    '{"v":1,"a":1}\n{not json',
  ];
  for (const payload of bad)
    assert.throws(() => decodeFanout(payload), WireFormatError, payload.slice(0, 40));
});
