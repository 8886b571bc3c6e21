import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { countObjectMembers } from './members.js';

describe('countObjectMembers', () => {
  it('counts top-level members, not nested ones or commas inside strings', () => {
    assert.equal(countObjectMembers('{}'), 0);
    assert.equal(countObjectMembers(' { } '), 0);
    assert.equal(countObjectMembers('{"a":1}'), 1);
    assert.equal(countObjectMembers('{"a":[1,2,[3,4]],"b":{"c":1,"d":2}}'), 2);
    assert.equal(countObjectMembers('{"a,b":"x,y","c":"\\",\\"","d":"\\\\","e":null}'), 4);
    assert.equal(countObjectMembers('{"content":"EVIL","content":"signed"}'), 2);
    assert.equal(countObjectMembers('{\n "a" : "}" ,\n "b" : "]"\n}'), 2);
  });

  it('agrees with Object.keys on any JSON object without duplicate keys', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const text = JSON.stringify(obj, null, Math.random() < 0.5 ? 1 : 0);
        assert.equal(countObjectMembers(text), Object.keys(obj).length);
      }),
    );
  });
});
