import type { AccessState } from '@nrelay/access';
import { EMPTY_ACCESS_STATE } from '@nrelay/access';
import { loadConfig } from '@nrelay/config';
import { startRelay, type TestRelay } from '../fixtures.js';
import type { ConnectionInfo } from '../hooks.js';
import { accessAuthChallenge, createAccessHooks } from './hooks.js';

// What the access hook tests share (hooks.test.ts, client-ip.test.ts): a gateway running the
// built-in access hooks, closed after each test.

/** A gateway whose hooks are the built-in access hooks for `settings`; records connections. */
export async function accessRelay(
  settings: Record<string, unknown> = {},
  state: AccessState = EMPTY_ACCESS_STATE,
) {
  const config = loadConfig({}, settings);
  const connections: ConnectionInfo[] = [];
  const hooks = createAccessHooks(config, state);
  const relay = await startRelay(settings, {
    hooks: { ...hooks, onConnect: [(conn) => connections.push(conn)] },
    authChallenge: accessAuthChallenge(config),
  });
  relay.query.autoEnd = true;
  return Object.assign(relay, { connections });
}

/** Runs `fn`, then closes `relay` whatever happened. */
export async function withRelay(relay: TestRelay, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    await relay.close();
  }
}
