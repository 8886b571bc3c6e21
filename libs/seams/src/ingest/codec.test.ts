import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WireFormatError } from '../wire.js';
import { decodeJobData, decodeReplies, encodeReplies, requestFromJobEntry, toJobEntry } from './codec.js';
import type { IngestRequest } from './seam.js';

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

test('replies: round trip of a batch, malformed and unknown versions refused', () => {
  const replies = [
    { ref: 'r1', ok: false, reason: 'invalid: bad signature' },
    { ref: 'r2', ok: true, reason: '' },
  ];
  assert.deepEqual(decodeReplies(encodeReplies(replies)), replies);
  assert.deepEqual(decodeReplies(encodeReplies([])), []);
  for (const payload of [
    '{"v":2,"replies":[]}',
    '{"v":1}',
    '{"v":1,"replies":{}}',
    '{"v":1,"replies":[{"ref":"r","ok":"yes","reason":""}]}',
    '{"v":1,"replies":[{"ok":true,"reason":""}]}',
    '{"v":1,"replies":[null]}',
    'null',
    '',
  ]) {
    assert.throws(() => decodeReplies(payload), WireFormatError, payload);
  }
});

test('job data: built from requests, checked on the way back, parsed once into requests', () => {
  const request: IngestRequest = {
    v: 1,
    event: { event, raw },
    receivedAt: 99,
    gatewayId: 'gw-1',
    connectionId: 'c-7',
    authedPubkeys: [event.pubkey],
    trace: { traceparent: 't' },
  };
  const entry = toJobEntry(request, 'ref-1');
  assert.deepEqual(entry, {
    ref: 'ref-1',
    raw,
    connectionId: 'c-7',
    receivedAt: 99,
    authedPubkeys: [event.pubkey],
    trace: { traceparent: 't' },
  });
  const data = { v: 1 as const, gatewayId: 'gw-1', entries: [entry, { ...entry, ref: 'ref-2' }] };
  // What BullMQ stores is JSON: go through it.
  const back = decodeJobData(JSON.parse(JSON.stringify(data)));
  assert.deepEqual(back, data);
  assert.deepEqual(requestFromJobEntry(back.gatewayId, entry), request);
  // A NIP-62 request to vanish carries the URL the client used.
  const vanish = { ...request, relayUrl: 'wss://relay.example.com' };
  const carried = decodeJobData(JSON.parse(JSON.stringify({ ...data, entries: [toJobEntry(vanish, 'r')] })));
  assert.deepEqual(requestFromJobEntry(carried.gatewayId, carried.entries[0]!), vanish);
});

test('job data: malformed, unknown-version or inconsistent data is refused', () => {
  const good = toJobEntry(
    { v: 1, event: { event, raw }, receivedAt: 1, gatewayId: 'g', connectionId: 'c', authedPubkeys: [] },
    'r',
  );
  const job = (entry: unknown) => ({ v: 1, gatewayId: 'g', entries: [entry] });
  for (const data of [
    null,
    'x',
    { v: 2, gatewayId: 'g', entries: [good] },
    { v: 1, entries: [good] },
    { v: 1, gatewayId: 'g', entries: good },
    job(null),
    job({ ...good, raw: 5 }),
    job({ ...good, ref: 1 }),
    job({ ...good, authedPubkeys: [1] }),
    job({ ...good, receivedAt: '1' }),
    job({ ...good, trace: 'x' }),
  ]) {
    assert.throws(() => decodeJobData(data), WireFormatError);
  }
  assert.throws(() => requestFromJobEntry('g', { ...good, raw: '{"id":1}' }), WireFormatError);
  assert.throws(() => requestFromJobEntry('g', { ...good, raw: '{' }), WireFormatError);
});
