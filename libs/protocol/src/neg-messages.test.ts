import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { negErrFrame, negMsgFrame } from './neg-messages.js';
import { parseClientMessage } from './parse.js';

function parse(frame: string) {
  return parseClientMessage(frame);
}

function errorOf(frame: string) {
  const result = parse(frame);
  assert.equal(result.ok, false, `${frame} should be refused`);
  return (result as { ok: false; error: import('./errors.js').ProtocolError }).error;
}

describe('NIP-77 client messages', () => {
  it('parses NEG-OPEN, NEG-MSG and NEG-CLOSE', () => {
    assert.deepEqual(parse('["NEG-OPEN","s1",{"kinds":[1]},"6100"]'), {
      ok: true,
      message: ['NEG-OPEN', 's1', { kinds: [1] }, '6100'],
    });
    assert.deepEqual(parse('["NEG-MSG","s1","61AB"]'), { ok: true, message: ['NEG-MSG', 's1', '61AB'] });
    assert.deepEqual(parse('["NEG-CLOSE","s1"]'), { ok: true, message: ['NEG-CLOSE', 's1'] });
  });

  it('refuses bad hex with invalid: and keeps the session id for NEG-ERR', () => {
    for (const frame of [
      '["NEG-MSG","s1","6"]',
      '["NEG-MSG","s1","zz"]',
      '["NEG-MSG","s1",""]',
      '["NEG-MSG","s1",97]',
      '["NEG-OPEN","s1",{},"61x0"]',
    ]) {
      const error = errorOf(frame);
      assert.equal(error.code, 'E_NEG_MESSAGE');
      assert.match(error.reason, /^invalid: /);
      assert.equal(error.subId, 's1');
      assert.match(error.verb ?? '', /^NEG-/);
    }
  });

  it('refuses wrong arity, bad filters, search filters and bad session ids', () => {
    assert.equal(errorOf('["NEG-OPEN","s1",{}]').code, 'E_ARITY');
    assert.equal(errorOf('["NEG-MSG","s1"]').code, 'E_ARITY');
    assert.equal(errorOf('["NEG-CLOSE","s1","x"]').code, 'E_ARITY');
    assert.equal(errorOf('["NEG-OPEN","s1",{"kinds":"1"},"61"]').code, 'E_FILTER');
    assert.equal(errorOf('["NEG-OPEN","s1",{"search":"x"},"61"]').code, 'E_FILTER');
    const noId = errorOf('["NEG-OPEN",5,{},"61"]');
    assert.equal(noId.code, 'E_SUBID');
    assert.equal(noId.subId, undefined);
  });

  it('builds NEG-MSG and NEG-ERR frames', () => {
    assert.deepEqual(JSON.parse(negMsgFrame('a"b', '61')), ['NEG-MSG', 'a"b', '61']);
    assert.deepEqual(JSON.parse(negErrFrame('x', 'closed: idle timeout')), [
      'NEG-ERR',
      'x',
      'closed: idle timeout',
    ]);
  });
});
