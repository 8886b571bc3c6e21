import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ErrorCode, isProtocolError } from './errors.js';
import { DEFAULT_PARSE_LIMITS } from './limits.js';
import { isTagFilterKey, validateEvent, validateFilter } from './validate.js';

const base = {
  id: 'a'.repeat(64),
  pubkey: 'b'.repeat(64),
  created_at: 1700000000,
  kind: 1,
  tags: [
    ['e', 'c'.repeat(64)],
    ['t', 'nostr', 'extra'],
  ],
  content: 'hi',
  sig: 'd'.repeat(128),
};

function expectEventError(obj: unknown, code: ErrorCode, pattern?: RegExp): void {
  const result = validateEvent(obj, DEFAULT_PARSE_LIMITS);
  assert.ok(isProtocolError(result), `expected ${code} for ${JSON.stringify(obj)?.slice(0, 120)}`);
  assert.equal(result.code, code);
  assert.ok(result.reason.startsWith('invalid: '));
  if (pattern) assert.match(result.reason, pattern);
}

describe('validateEvent', () => {
  it('returns the same object for a valid event, including boundary values', () => {
    assert.equal(validateEvent(base), base);
    for (const change of [{ kind: 0 }, { kind: 65535 }, { created_at: 0 }, { created_at: 2 ** 53 - 1 }]) {
      const event = { ...base, ...change };
      assert.equal(validateEvent(event), event);
    }
    assert.ok(!isProtocolError(validateEvent({ ...base, tags: [] })));
  });

  it('rejects non-objects', () => {
    for (const value of [null, 'x', 1, [base], undefined]) expectEventError(value, 'E_EVENT_SHAPE');
  });

  it('rejects missing and unknown fields', () => {
    const { sig: _sig, ...noSig } = base;
    expectEventError(noSig, 'E_EVENT_SHAPE', /missing event field "sig"/);
    expectEventError({ ...base, extra: true }, 'E_EVENT_SHAPE', /unexpected event field "extra"/);
    expectEventError({ ...noSig, other: 'x' }, 'E_EVENT_SHAPE', /other/);
  });

  it('rejects malformed hex fields', () => {
    expectEventError({ ...base, id: 'A'.repeat(64) }, 'E_EVENT_FIELD', /id/);
    expectEventError({ ...base, id: 'a'.repeat(63) }, 'E_EVENT_FIELD', /id/);
    expectEventError({ ...base, pubkey: 'g'.repeat(64) }, 'E_EVENT_FIELD', /pubkey/);
    expectEventError({ ...base, pubkey: 7 }, 'E_EVENT_FIELD', /pubkey/);
    expectEventError({ ...base, sig: 'd'.repeat(127) }, 'E_EVENT_FIELD', /sig/);
    expectEventError({ ...base, sig: 'D'.repeat(128) }, 'E_EVENT_FIELD', /sig/);
  });

  it('rejects bad kind and created_at', () => {
    for (const kind of [-1, 65536, 1.5, '1', null])
      expectEventError({ ...base, kind }, 'E_EVENT_FIELD', /kind/);
    for (const created_at of [-1, 1.5, '1700000000', 2 ** 53, Number.NaN]) {
      expectEventError({ ...base, created_at }, 'E_EVENT_FIELD', /created_at/);
    }
  });

  it('rejects bad tags and content', () => {
    const badTags: unknown[] = ['x', [[]], [['e', 1]], ['e'], [['e'], null], { 0: ['e'] }];
    for (const tags of badTags) expectEventError({ ...base, tags }, 'E_EVENT_FIELD', /tag/);
    expectEventError({ ...base, content: 5 }, 'E_EVENT_FIELD', /content/);
    expectEventError({ ...base, content: null }, 'E_EVENT_FIELD', /content/);
  });

  it('sets eventId on errors only when the id is valid hex', () => {
    const withId = validateEvent({ ...base, kind: 'x' });
    assert.ok(isProtocolError(withId));
    assert.equal(withId.eventId, base.id);
    const withoutId = validateEvent({ ...base, id: 'zz' });
    assert.ok(isProtocolError(withoutId));
    assert.equal(withoutId.eventId, undefined);
  });
});

function expectFilterError(obj: unknown, field: string): void {
  const result = validateFilter(obj);
  assert.ok(isProtocolError(result), `expected an error for ${JSON.stringify(obj)}`);
  assert.equal(result.code, 'E_FILTER');
  assert.ok(result.reason.startsWith('invalid: '));
  assert.ok(result.reason.includes(`"${field}"`), `${result.reason} should name ${field}`);
}

describe('validateFilter', () => {
  it('accepts every known field and returns the same object', () => {
    const filter = {
      ids: ['a'.repeat(64)],
      authors: ['b'.repeat(64)],
      kinds: [0, 1, 65535],
      since: 0,
      until: 2 ** 53 - 1,
      limit: 500,
      search: 'best nostr apps',
      '#e': ['x'],
      '#Z': [],
    };
    assert.equal(validateFilter(filter), filter);
    const empty = { ids: [], authors: [], kinds: [], '#p': [] };
    assert.equal(validateFilter(empty), empty);
    assert.deepEqual(validateFilter({}), {});
  });

  it('rejects non-objects', () => {
    for (const value of [null, [], 'x', 3]) {
      const result = validateFilter(value);
      assert.ok(isProtocolError(result));
      assert.equal(result.code, 'E_FILTER');
    }
  });

  it('rejects unknown keys and bad tag keys', () => {
    for (const key of ['foo', '#ab', '#', '#1', '#é', 'e', 'Ids']) expectFilterError({ [key]: [] }, key);
  });

  it('rejects wrong types, naming the field', () => {
    expectFilterError({ ids: ['abc'] }, 'ids');
    expectFilterError({ ids: 'a'.repeat(64) }, 'ids');
    expectFilterError({ authors: ['B'.repeat(64)] }, 'authors');
    expectFilterError({ kinds: [1.5] }, 'kinds');
    expectFilterError({ kinds: [70000] }, 'kinds');
    expectFilterError({ kinds: ['1'] }, 'kinds');
    expectFilterError({ since: -1 }, 'since');
    expectFilterError({ until: 1.5 }, 'until');
    expectFilterError({ limit: '10' }, 'limit');
    expectFilterError({ limit: null }, 'limit');
    expectFilterError({ search: 5 }, 'search');
    expectFilterError({ '#e': [1] }, '#e');
    expectFilterError({ '#e': 'x' }, '#e');
  });

  it('recognises tag filter keys', () => {
    assert.ok(isTagFilterKey('#a') && isTagFilterKey('#z') && isTagFilterKey('#A') && isTagFilterKey('#Z'));
    for (const key of ['#@', '#[', '#`', '#{', 'ae', '#aa', ''])
      assert.equal(isTagFilterKey(key), false, key);
  });
});
