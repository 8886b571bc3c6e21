import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { EMPTY_CIDR_LIST, parseCidrList } from './cidr.js';
import { createPublicOriginResolver, requestPath } from './public-url.js';

const LOCAL_PROXY = parseCidrList(['127.0.0.1/32', '::1/128']);

function request(peer: string, headers: Record<string, string | string[]>, url = '/'): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers, url } as unknown as IncomingMessage;
}

describe('createPublicOriginResolver', () => {
  it('answers RELAY_URL when it is set, whatever the request says', () => {
    const origin = createPublicOriginResolver('wss://Relay.Example.com/nostr', LOCAL_PROXY);
    assert.equal(origin(request('203.0.113.9', { host: 'evil.example' })), 'https://relay.example.com');
    assert.equal(
      createPublicOriginResolver('ws://127.0.0.1:7777', EMPTY_CIDR_LIST)(request('::1', {})),
      'http://127.0.0.1:7777',
    );
  });

  it('reads Host from a direct client and ignores the forwarded headers it may send', () => {
    const origin = createPublicOriginResolver(undefined, LOCAL_PROXY);
    const direct = request('203.0.113.9', {
      host: 'Relay.Example.com:7777',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    });
    assert.equal(origin(direct), 'http://relay.example.com:7777');
  });

  it('believes X-Forwarded-Host/Proto from a trusted proxy (the right-most value)', () => {
    const origin = createPublicOriginResolver(undefined, LOCAL_PROXY);
    const proxied = request('127.0.0.1', {
      host: 'gateway-1:7777',
      'x-forwarded-host': 'forged.example, relay.example.com',
      'x-forwarded-proto': 'https',
    });
    assert.equal(origin(proxied), 'https://relay.example.com');
    assert.equal(origin(request('::1', { host: 'relay.example.com:8080' })), 'http://relay.example.com:8080');
    // No proxies trusted: the headers are never read.
    const none = createPublicOriginResolver(undefined, EMPTY_CIDR_LIST);
    assert.equal(none(proxied), 'http://gateway-1:7777');
  });

  it('gives up on a missing or malformed host, and shares one string per origin', () => {
    const origin = createPublicOriginResolver(undefined, EMPTY_CIDR_LIST);
    assert.equal(origin(request('203.0.113.9', {})), undefined);
    for (const host of ['user@evil.example', 'a b', 'evil.example/path', 'x:99999999']) {
      assert.equal(origin(request('203.0.113.9', { host })), undefined, host);
    }
    assert.equal(origin(request('203.0.113.9', { host: '[::1]:7777' })), 'http://[::1]:7777');
    const a = origin(request('203.0.113.9', { host: 'relay.example.com' }));
    const b = origin(request('203.0.113.10', { host: 'relay.example.com' }));
    assert.ok(a !== undefined && Object.is(a, b));
  });
});

describe('requestPath', () => {
  it('drops the query string', () => {
    assert.equal(requestPath(request('::1', {}, '/nostr?x=1')), '/nostr');
    assert.equal(requestPath(request('::1', {}, '?x=1')), '/');
  });
});
