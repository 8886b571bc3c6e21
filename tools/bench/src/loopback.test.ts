import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loopbackDatabaseUrl, loopbackRelayUrl } from './loopback.js';

test('relay URLs must be ws(s) on a loopback host', () => {
  for (const ok of ['ws://127.0.0.1:7777', 'ws://[::1]:7777', 'ws://localhost:1', 'wss://127.0.0.2/x']) {
    assert.equal(loopbackRelayUrl(ok), ok);
  }
  for (const bad of [
    'ws://10.0.0.1:7777',
    'ws://relay.example.com',
    'http://127.0.0.1:7777',
    'nonsense',
    'ws://127.0.0.1.example.com',
  ]) {
    assert.throws(() => loopbackRelayUrl(bad), Error, bad);
  }
});

test('database URLs must be postgres on a loopback host or a Unix socket', () => {
  assert.ok(loopbackDatabaseUrl('postgres://u@127.0.0.1:5432/db'));
  assert.ok(loopbackDatabaseUrl('postgresql://u@localhost/db'));
  assert.ok(loopbackDatabaseUrl('postgres://u@x/db?host=/run/postgresql'));
  assert.throws(() => loopbackDatabaseUrl('postgres://u@db.internal/db'));
  assert.throws(() => loopbackDatabaseUrl('postgres://u@x/db?host=db.internal'));
  assert.throws(() => loopbackDatabaseUrl('mysql://u@127.0.0.1/db'));
});
