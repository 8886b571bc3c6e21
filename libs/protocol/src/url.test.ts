import assert from 'node:assert/strict';
import { test } from 'node:test';
import { looseUrlKey, sameLooseUrl } from './url.js';

test('scheme, host case, default port and trailing slash do not matter', () => {
  assert.ok(sameLooseUrl('wss://Relay.Example.com/', 'ws://relay.example.com'));
  assert.ok(sameLooseUrl('https://relay.example.com:443', 'wss://relay.example.com'));
  assert.ok(sameLooseUrl('ws://127.0.0.1:7777/', 'http://127.0.0.1:7777'));
});

test('host, port and path do', () => {
  assert.equal(sameLooseUrl('wss://relay.example.com', 'wss://other.example.com'), false);
  assert.equal(sameLooseUrl('ws://127.0.0.1:7777', 'ws://127.0.0.1:7778'), false);
  assert.equal(sameLooseUrl('wss://relay.example.com/a', 'wss://relay.example.com/b'), false);
});

test('the query string counts only when asked; non-relay URLs never match', () => {
  assert.ok(sameLooseUrl('https://r.example/?a=1', 'https://r.example/?a=2'));
  assert.equal(sameLooseUrl('https://r.example/?a=1', 'https://r.example/?a=2', true), false);
  assert.equal(looseUrlKey('ftp://r.example'), undefined);
  assert.equal(looseUrlKey('not a url'), undefined);
  assert.equal(sameLooseUrl('not a url', 'not a url'), false);
});
