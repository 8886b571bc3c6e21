import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { RelayInformation } from '@nrelay/protocol';
import { createHttpHandler, type RelayInfoOverrides } from './http.js';

const INFO: RelayInformation = {
  name: 'configured',
  description: 'configured description',
  supported_nips: [1, 11],
  software: 'nrelay-test',
  version: '0.0.0',
  limitation: {},
};

test('NIP-11 and the HTML page show the run-time overrides, rebuilt only when they change', async () => {
  let overrides: RelayInfoOverrides = Object.freeze({});
  let reads = 0;
  const server = createServer(
    createHttpHandler({
      info: INFO,
      relayUrl: undefined,
      isReady: () => true,
      routes: [],
      infoOverrides: () => {
        reads++;
        return overrides;
      },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const nip11 = async () =>
    (await (await fetch(url, { headers: { Accept: 'application/nostr+json' } })).json()) as RelayInformation;
  try {
    assert.equal((await nip11()).name, 'configured');
    overrides = Object.freeze({ name: 'Renamed <at run time>', icon: 'https://example.com/i.png' });
    const doc = await nip11();
    assert.equal(doc.name, 'Renamed <at run time>');
    assert.equal(doc.icon, 'https://example.com/i.png');
    assert.equal(doc.description, 'configured description');
    const page = await (await fetch(url, { headers: { Accept: 'text/html' } })).text();
    assert.match(page, /<h1>Renamed &lt;at run time&gt;<\/h1>/);
    assert.ok(reads >= 3);
    assert.equal(INFO.name, 'configured', 'the configured document is not mutated');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});

test('NIP-11 self: the stored relay identity unless RELAY_SELF configured one', async () => {
  const stored = 'a'.repeat(64);
  const configured = 'b'.repeat(64);
  const docWith = async (info: RelayInformation) => {
    const server = createServer(
      createHttpHandler({
        info,
        relayUrl: undefined,
        isReady: () => true,
        routes: [],
        infoOverrides: () => Object.freeze({ self: stored }),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      return (await (
        await fetch(url, { headers: { Accept: 'application/nostr+json' } })
      ).json()) as RelayInformation;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  };
  assert.equal((await docWith(INFO)).self, stored);
  assert.equal((await docWith({ ...INFO, self: configured })).self, configured);
});
