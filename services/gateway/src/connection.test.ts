import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signedRaw } from '@nrelay/testkit';
import { pino } from 'pino';
import type { Connection } from './connection.js';
import { startRelay } from './fixtures.js';
import type { ConnectionInfo } from './hooks.js';

/** The kinds of per-connection structure that must wait for the message that needs them. */
function lazyStructures(conn: Connection): string[] {
  const found: string[] = [];
  for (const value of Object.values(conn)) {
    if (value instanceof AbortController) found.push('AbortController');
    else if (value instanceof Set) found.push('Set');
    else if (value instanceof Map) found.push('Map');
  }
  return found.sort();
}

/** A silent logger that counts the child loggers built from it. */
function countingLogger() {
  const logger = pino({ level: 'silent' });
  const child = logger.child.bind(logger);
  const counter = { children: 0 };
  logger.child = ((...args: Parameters<typeof child>) => {
    counter.children++;
    return child(...args);
  }) as typeof logger.child;
  return { logger, counter };
}

test('an idle connection builds its subscription map, pubkey set, lifetime signal and logger only when used', async () => {
  const { logger, counter } = countingLogger();
  const connections: ConnectionInfo[] = [];
  const relay = await startRelay(
    {},
    {
      logger,
      // A rejectReq hook makes REQ run the hook runner, which is given the connection as its logger.
      hooks: { onConnect: [(conn) => connections.push(conn)], rejectReq: [() => undefined] },
    },
  );
  relay.query.autoEnd = true;
  try {
    const client = await relay.connect();
    await client.next((m) => m[0] === 'AUTH');
    const conn = connections[0] as Connection;
    assert.deepEqual(lazyStructures(conn), [], 'connected, no message yet');
    assert.match(conn.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    client.sendJson(['REQ', 's', { kinds: [1], authors: ['a'.repeat(64)] }]);
    await client.next((m) => m[0] === 'EOSE');
    assert.deepEqual(lazyStructures(conn), ['Map'], 'one open subscription: its map only');
    assert.equal(conn.authedPubkeys.size, 0);
    assert.equal(counter.children, 0, 'no child logger for a connection that logged nothing');

    client.sendJson(['COUNT', 'c', { kinds: [1] }]);
    await client.next((m) => m[0] === 'COUNT');
    assert.deepEqual(lazyStructures(conn), ['AbortController', 'Map'], 'COUNT needs the lifetime signal');

    const challenge = client.all('AUTH')[0]?.[1] as string;
    const tags = [
      ['relay', `ws://127.0.0.1:${relay.port}`],
      ['challenge', challenge],
    ];
    const auth = signedRaw({ kind: 22242, tags });
    client.sendJson(['AUTH', auth.event]);
    await client.next((m) => m[0] === 'OK' && m[1] === auth.event.id);
    assert.deepEqual(lazyStructures(conn), ['AbortController', 'Map', 'Set']);
    assert.equal(conn.authedPubkeys.size, 1);
    assert.equal(counter.children, 1, 'the authentication is logged on the child logger');
  } finally {
    await relay.close();
  }
});

test('a lifetime signal first asked for after the connection is released is already aborted', async () => {
  const connections: ConnectionInfo[] = [];
  const relay = await startRelay({}, { hooks: { onDisconnect: [(conn) => connections.push(conn)] } });
  try {
    const client = await relay.connect();
    client.ws.close();
    await client.waitClose();
    while (connections.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const conn = connections[0] as Connection;
    assert.equal(lazyStructures(conn).includes('AbortController'), false);
    assert.equal(conn.lifetime.signal.aborted, true);
  } finally {
    await relay.close();
  }
});
