import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authFrame, closedFrame, countFrame, eoseFrame, eventFrame, noticeFrame, okFrame } from './frames.js';

describe('frames', () => {
  it('eventFrame splices the raw text verbatim and parses back', () => {
    const raw = '{ "id":"ab", "content":"a \\"quoted\\" ]} text" }';
    const subId = 'sub "1" ünï';
    const frame = eventFrame(subId, raw);
    assert.ok(frame.includes(raw));
    assert.deepEqual(JSON.parse(frame), ['EVENT', subId, JSON.parse(raw)]);
  });

  it('every other frame parses back to its tuple', () => {
    const r = 'invalid: bad "id"';
    assert.deepEqual(JSON.parse(okFrame('ab', false, r)), ['OK', 'ab', false, r]);
    assert.deepEqual(JSON.parse(okFrame('ab', true, '')), ['OK', 'ab', true, '']);
    assert.deepEqual(JSON.parse(eoseFrame('s')), ['EOSE', 's']);
    assert.deepEqual(JSON.parse(closedFrame('s', 'auth-required: log in')), [
      'CLOSED',
      's',
      'auth-required: log in',
    ]);
    assert.deepEqual(JSON.parse(noticeFrame('line\nbreak')), ['NOTICE', 'line\nbreak']);
    assert.deepEqual(JSON.parse(authFrame('chal')), ['AUTH', 'chal']);
  });

  it('countFrame includes approximate only when given', () => {
    assert.deepEqual(JSON.parse(countFrame('c', 42)), ['COUNT', 'c', { count: 42 }]);
    assert.deepEqual(JSON.parse(countFrame('c', 7, true)), ['COUNT', 'c', { count: 7, approximate: true }]);
    assert.equal(countFrame('c', 0), '["COUNT","c",{"count":0}]');
    const hll = '0a'.repeat(256);
    assert.deepEqual(JSON.parse(countFrame('c', 3, undefined, hll)), ['COUNT', 'c', { count: 3, hll }]);
  });
});
