import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError, limitationOf, loadConfig, settingsMarkdown } from './load.js';

test('defaults apply when the environment is empty', () => {
  const c = loadConfig({});
  assert.equal(c.PORT, 7777);
  assert.equal(c.HOST, '127.0.0.1');
  assert.equal(c.DATABASE_URL, undefined);
  assert.equal(c.MAX_LIMIT, 5000);
});

test('every invalid value is reported at once, with what to do next', () => {
  assert.throws(
    () => loadConfig({ PORT: 'eighty', MAX_FILTERS: '0', LOG_LEVEL: 'loud' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 3);
      assert.match(err.message, /PORT="eighty" is not an integer/);
      assert.match(err.message, /MAX_FILTERS=0 is below the minimum 1/);
      assert.match(err.message, /README/);
      return true;
    },
  );
});

test('cross-setting rules are checked', () => {
  assert.throws(
    () => loadConfig({ DEFAULT_LIMIT: '600', MAX_LIMIT: '500' }),
    /DEFAULT_LIMIT must not exceed MAX_LIMIT/,
  );
  assert.throws(() => loadConfig({ RELAY_PUBKEY: 'xyz' }), /RELAY_PUBKEY/);
  assert.throws(() => loadConfig({ RELAY_SELF: 'xyz' }), /RELAY_SELF/);
});

test('NIP-11 limitation mirrors the enforced values and omits disabled bounds', () => {
  const lim = limitationOf(loadConfig({ MAX_FILTERS: '7', CREATED_AT_UPPER_LIMIT: '60' }));
  assert.equal(lim.max_filters, 7);
  assert.equal(lim.created_at_upper_limit, 60);
  assert.equal(lim.max_message_length, 262144);
  assert.equal('created_at_lower_limit' in lim, false);
  assert.equal('min_pow_difficulty' in lim, false);
  assert.equal(limitationOf(loadConfig({ MIN_POW_DIFFICULTY: '8' })).min_pow_difficulty, 8);
});

test('the README settings table is the generated one', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.ok(
    readme.includes(settingsMarkdown()),
    'README.md settings table is out of date: paste the output of `node libs/config/dist/print-settings.js` into it',
  );
});

test('NIP-11 limitation advertises the search and page bounds that are enforced', () => {
  const lim = limitationOf(loadConfig({ MAX_SEARCH_TERMS: '8' }));
  assert.equal(lim.nrelay_max_search_length, 256);
  assert.equal(lim.nrelay_max_search_terms, 8);
  assert.throws(() => loadConfig({ MAX_SEARCH_TERMS: '100000' }), ConfigError);
  assert.equal(loadConfig({}).QUERY_PAGE_MAX_BYTES, 1 << 20);
});
