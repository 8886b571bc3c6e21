import assert from 'node:assert/strict';
import { it } from 'node:test';
import * as api from './index.js';

it('the package entry exports the required API', () => {
  const functions = [
    'parseClientMessage',
    'validateEvent',
    'validateFilter',
    'extractEventId',
    'serializeEvent',
    'computeEventId',
    'hasValidId',
    'verifyEvent',
    'matchFilter',
    'matchFilters',
    'filterTagEntries',
    'kindClass',
    'isReplaceable',
    'isEphemeral',
    'isAddressable',
    'dTagValue',
    'replaceableKey',
    'expirationOf',
    'powDifficulty',
    'parseAddress',
    'eventFrame',
    'okFrame',
    'eoseFrame',
    'closedFrame',
    'noticeFrame',
    'authFrame',
    'countFrame',
  ];
  const exported = api as unknown as Record<string, unknown>;
  for (const name of functions) assert.equal(typeof exported[name], 'function', name);
  assert.equal(api.nobleVerifier.name, 'noble');
  assert.equal(api.DEFAULT_PARSE_LIMITS.maxSubIdLength, 64);
  assert.equal(api.DEFAULT_PARSE_LIMITS.maxFilters, 20);
  assert.equal(api.DEFAULT_PARSE_LIMITS.maxTags, 2500);
  assert.equal(api.DEFAULT_PARSE_LIMITS.maxContentLength, 102400);
  for (const code of ['E_JSON', 'E_ARITY', 'E_BAD_ID', 'E_BAD_SIG'] as const) {
    assert.equal(typeof api.ERROR_CODES[code], 'string');
  }
});
