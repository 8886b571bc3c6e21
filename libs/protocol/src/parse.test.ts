import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finalizeEvent, generateSecretKey } from 'nostr-tools/pure';
import { ERROR_CODES, type ErrorCode, type ProtocolError } from './errors.js';
import { DEFAULT_PARSE_LIMITS } from './limits.js';
import { extractEventId, parseClientMessage } from './parse.js';
import type { NostrEvent } from './types.js';

const sk = generateSecretKey();
function signed(content = 'hello', tags: string[][] = []): NostrEvent {
  const {
    id,
    pubkey,
    created_at,
    kind,
    tags: t,
    content: c,
    sig,
  } = finalizeEvent({ kind: 1, created_at: 1700000000, tags, content }, sk);
  return { id, pubkey, created_at, kind, tags: t, content: c, sig };
}

interface Context {
  subId?: string;
  eventId?: string;
  verb?: string;
}

function expectError(frame: string, code: ErrorCode, context: Context = {}): ProtocolError {
  const result = parseClientMessage(frame);
  assert.equal(result.ok, false, `expected ${code} for ${frame.slice(0, 80)}`);
  if (result.ok) throw new Error('unreachable');
  const { error } = result;
  assert.equal(error.code, code);
  assert.ok(error.reason.startsWith('invalid: '), error.reason);
  assert.ok(ERROR_CODES[error.code].length > 0);
  assert.equal(error.subId, context.subId);
  assert.equal(error.eventId, context.eventId);
  if (context.verb !== undefined) assert.equal(error.verb, context.verb);
  return error;
}

describe('parseClientMessage: valid messages', () => {
  it('parses EVENT and returns the exact raw text', () => {
    const event = signed('braces { } ] and "quotes"', [['e', 'x'.repeat(3)]]);
    const eventText = JSON.stringify(event, null, 1);
    const frame = ' [ "EVENT" ,\n' + eventText + '\n ] ';
    const result = parseClientMessage(frame);
    assert.ok(result.ok);
    const [verb, raw] = result.message;
    assert.equal(verb, 'EVENT');
    if (typeof raw !== 'object') throw new Error('expected RawEvent');
    assert.equal(raw.raw, eventText);
    assert.ok(frame.includes(raw.raw));
    assert.deepEqual(JSON.parse(raw.raw), raw.event);
    assert.deepEqual(raw.event, event);
  });

  it('parses AUTH with its raw event', () => {
    const event = signed('');
    const frame = JSON.stringify(['AUTH', event]);
    const result = parseClientMessage(frame);
    assert.ok(result.ok);
    assert.equal(result.message[0], 'AUTH');
    const raw = result.message[1];
    if (typeof raw !== 'object') throw new Error('expected RawEvent');
    assert.equal(raw.raw, JSON.stringify(event));
  });

  it('parses REQ and COUNT with several filters', () => {
    const filters = [{ kinds: [1], limit: 10 }, { '#e': ['a'], since: 0 }, {}];
    for (const verb of ['REQ', 'COUNT'] as const) {
      const result = parseClientMessage(JSON.stringify([verb, 'sub1', ...filters]));
      assert.ok(result.ok);
      assert.deepEqual(result.message, [verb, 'sub1', ...filters]);
    }
  });

  it('parses CLOSE', () => {
    const result = parseClientMessage('["CLOSE","abc"]');
    assert.ok(result.ok);
    assert.deepEqual(result.message, ['CLOSE', 'abc']);
  });

  it('accepts a 64-character sub id', () => {
    assert.ok(parseClientMessage(JSON.stringify(['REQ', 's'.repeat(64), {}])).ok);
  });
});

describe('parseClientMessage: frame errors answered with NOTICE', () => {
  it('rejects malformed JSON', () => {
    expectError('["REQ", "x", {]', 'E_JSON');
    expectError('', 'E_JSON');
  });

  it('rejects anything but a non-empty array', () => {
    for (const frame of ['{}', '"EVENT"', 'null', '42', '[]']) expectError(frame, 'E_NOT_ARRAY');
  });

  it('rejects unknown or non-string verbs', () => {
    const error = expectError('["PUBLISH","x"]', 'E_UNKNOWN_VERB');
    assert.match(error.reason, /PUBLISH/);
    expectError('[1,"x"]', 'E_UNKNOWN_VERB');
    expectError('["event",{}]', 'E_UNKNOWN_VERB');
  });
});

describe('parseClientMessage: arity', () => {
  it('EVENT and AUTH need exactly one event', () => {
    const event = signed();
    expectError('["EVENT"]', 'E_ARITY', { verb: 'EVENT' });
    expectError(JSON.stringify(['EVENT', event, 'extra']), 'E_ARITY', { verb: 'EVENT', eventId: event.id });
    expectError(JSON.stringify(['AUTH', event, event]), 'E_ARITY', { verb: 'AUTH', eventId: event.id });
    expectError(JSON.stringify(['EVENT', 'x', 'y']), 'E_ARITY', { verb: 'EVENT' });
  });

  it('REQ with zero filters is an error answered with CLOSED', () => {
    const error = expectError('["REQ","sub"]', 'E_ARITY', { subId: 'sub', verb: 'REQ' });
    assert.equal(error.reason, 'invalid: REQ needs at least one filter');
    expectError('["COUNT","c"]', 'E_ARITY', { subId: 'c', verb: 'COUNT' });
    expectError('["REQ"]', 'E_ARITY', { verb: 'REQ' });
  });

  it('CLOSE needs exactly one sub id', () => {
    expectError('["CLOSE"]', 'E_ARITY', { verb: 'CLOSE' });
    expectError('["CLOSE","s",{}]', 'E_ARITY', { subId: 's', verb: 'CLOSE' });
    expectError('["CLOSE",7,{}]', 'E_ARITY', { verb: 'CLOSE' });
  });
});

describe('parseClientMessage: subscription ids', () => {
  it('rejects non-string, empty and too long sub ids without a subId', () => {
    expectError('["REQ",1,{}]', 'E_SUBID', { verb: 'REQ' });
    expectError('["REQ","",{}]', 'E_SUBID');
    expectError(JSON.stringify(['COUNT', 's'.repeat(65), {}]), 'E_SUBID');
    expectError('["CLOSE",null]', 'E_SUBID', { verb: 'CLOSE' });
    expectError('["CLOSE",""]', 'E_SUBID');
  });

  it('applies a lower limit and clamps a higher one to 64', () => {
    const low = { ...DEFAULT_PARSE_LIMITS, maxSubIdLength: 4 };
    assert.ok(parseClientMessage('["REQ","abcd",{}]', low).ok);
    assert.equal(parseClientMessage('["REQ","abcde",{}]', low).ok, false);
    const high = { ...DEFAULT_PARSE_LIMITS, maxSubIdLength: 1000 };
    const result = parseClientMessage(JSON.stringify(['REQ', 's'.repeat(65), {}]), high);
    assert.equal(result.ok, false);
    if (!result.ok) assert.equal(result.error.code, 'E_SUBID');
  });
});

describe('parseClientMessage: filters', () => {
  it('rejects more filters than maxFilters with the sub id', () => {
    const frame = JSON.stringify(['REQ', 'q', ...Array.from({ length: 21 }, () => ({}))]);
    expectError(frame, 'E_TOO_MANY_FILTERS', { subId: 'q' });
    assert.ok(parseClientMessage(JSON.stringify(['REQ', 'q', ...Array.from({ length: 20 }, () => ({}))])).ok);
    const two = { ...DEFAULT_PARSE_LIMITS, maxFilters: 2 };
    assert.equal(parseClientMessage('["COUNT","q",{},{},{}]', two).ok, false);
  });

  it('rejects a bad filter with the sub id and names the field', () => {
    const error = expectError('["REQ","q",{"kinds":[1]},{"#ab":["x"]}]', 'E_FILTER', { subId: 'q' });
    assert.match(error.reason, /#ab/);
    expectError('["COUNT","q",[]]', 'E_FILTER', { subId: 'q', verb: 'COUNT' });
    expectError('["REQ","q",{"__proto__":{"x":1}}]', 'E_FILTER', { subId: 'q' });
  });
});

describe('parseClientMessage: events', () => {
  it('rejects bad events with eventId only when the id is 64 lowercase hex', () => {
    const event = signed();
    expectError(JSON.stringify(['EVENT', { ...event, kind: -1 }]), 'E_EVENT_FIELD', { eventId: event.id });
    expectError(JSON.stringify(['EVENT', { ...event, extra: 1 }]), 'E_EVENT_SHAPE', { eventId: event.id });
    const upper = event.id.toUpperCase();
    expectError(JSON.stringify(['EVENT', { ...event, id: upper }]), 'E_EVENT_FIELD', { verb: 'EVENT' });
    expectError('["EVENT","not an object"]', 'E_EVENT_SHAPE');
    expectError(JSON.stringify(['AUTH', { ...event, sig: 'ab' }]), 'E_EVENT_FIELD', {
      eventId: event.id,
      verb: 'AUTH',
    });
  });

  it('rejects an event that names a field twice (the parsed and the stored text would differ)', () => {
    const event = signed('the signed text');
    const text = JSON.stringify(event);
    const evil = text.replace('"content":', '"content":"EVIL","content":');
    const error = expectError(`["EVENT",${evil}]`, 'E_EVENT_SHAPE', { eventId: event.id, verb: 'EVENT' });
    assert.equal(error.reason, 'invalid: event names a field more than once');
    const twiceId = text.replace('"sig":', `"id":"${event.id}","sig":`);
    expectError(`["AUTH",${twiceId}]`, 'E_EVENT_SHAPE', { eventId: event.id, verb: 'AUTH' });
    const nested = text.replace('"content":', '"content":{"a":1,"b":[2,3]},"content":');
    expectError(`["EVENT", ${nested} ]`, 'E_EVENT_SHAPE', { eventId: event.id });
  });

  it('enforces tag and content limits', () => {
    const event = signed('x'.repeat(11), [
      ['t', 'a'],
      ['t', 'b'],
      ['t', 'c'.repeat(9)],
    ]);
    const frame = JSON.stringify(['EVENT', event]);
    const limits = { ...DEFAULT_PARSE_LIMITS, maxTags: 3, maxContentLength: 11, maxTagValueLength: 9 };
    assert.ok(parseClientMessage(frame, limits).ok);
    const cases: Array<[Partial<typeof limits>, ErrorCode]> = [
      [{ maxTags: 2 }, 'E_TOO_MANY_TAGS'],
      [{ maxContentLength: 10 }, 'E_CONTENT_TOO_LONG'],
      [{ maxTagValueLength: 8 }, 'E_TAG_TOO_LONG'],
    ];
    for (const [change, code] of cases) {
      const result = parseClientMessage(frame, { ...limits, ...change });
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.error.code, code);
        assert.equal(result.error.eventId, event.id);
      }
    }
  });
});

describe('extractEventId', () => {
  it('finds the id in a frame too big to parse', () => {
    const event = signed('y'.repeat(200_000));
    const frame = JSON.stringify(['EVENT', { content: event.content, id: event.id }]).slice(0, -2);
    assert.equal(extractEventId(frame), event.id);
  });

  it('skips an escaped "id" inside content and rejects non-hex ids', () => {
    const event = signed();
    const decoy = 'f'.repeat(64);
    const decoyFirst = Object.assign({ content: '' }, event, { content: `"id":"${decoy}"` });
    const frame = JSON.stringify(['EVENT', decoyFirst]);
    assert.ok(frame.indexOf(decoy) < frame.indexOf(event.id));
    assert.equal(extractEventId(frame), event.id);
    assert.equal(extractEventId(`["EVENT",{"id":"${'A'.repeat(64)}"}]`), undefined);
    assert.equal(extractEventId('["EVENT",{"id" : "' + 'a'.repeat(64) + '"'), 'a'.repeat(64));
    assert.equal(extractEventId('garbage'), undefined);
  });
});
