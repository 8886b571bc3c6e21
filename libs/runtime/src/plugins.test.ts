import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '@nrelay/config';
import { pino } from 'pino';
import { concatHooks, loadPlugins, PluginError, pluginHooks } from './plugins.js';

let dir: string;
const api = { config: loadConfig({}), logger: pino({ level: 'silent' }) };

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nrelay-plugins-'));
  const files: Record<string, string> = {
    'sync.mjs': `export default ({ config }) => ({
      gateway: { rejectEvent: [(e) => (e.content === config.RELAY_NAME ? 'no names' : undefined)] },
      ingest: { onEventSaved: [() => {}] },
    });`,
    'async.mjs': `export default async ({ logger }) => {
      await new Promise((r) => setTimeout(r, 5));
      logger.info('set up');
      return { gateway: { rejectEvent: [() => undefined], onConnect: [() => {}] } };
    };`,
    'nothing.mjs': 'export default () => undefined;',
    'no-default.mjs': 'export const hooks = {};',
    'throws.mjs': `export default () => { throw new Error('needs a setting'); };`,
    'bad-part.mjs': 'export default () => ({ gatway: {} });',
    'bad-hook.mjs': 'export default () => ({ gateway: { rejectEvent: () => undefined } });',
    'typo.mjs': 'export default () => ({ gateway: { rejectEvents: [() => undefined] } });',
    'syntax.mjs': 'export default () => ({',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const GATEWAY_NAMES = ['rejectEvent', 'onConnect'] as const;
type Hooks = {
  rejectEvent: Array<(e: { content: string }) => string | undefined>;
  onConnect: Array<() => void>;
};

describe('loadPlugins', () => {
  it('loads absolute and cwd-relative paths in order, awaiting async setups', async () => {
    const plugins = await loadPlugins([join(dir, 'sync.mjs'), './async.mjs', 'nothing.mjs'], api, dir);
    assert.deepEqual(
      plugins.map((p) => p.name),
      [join(dir, 'sync.mjs'), './async.mjs', 'nothing.mjs'],
    );
    const gateway = pluginHooks<Hooks>(plugins, 'gateway', GATEWAY_NAMES);
    assert.equal(gateway.rejectEvent?.length, 2);
    assert.equal(gateway.onConnect?.length, 1);
    assert.equal(gateway.rejectEvent?.[0]?.({ content: 'nrelay' }), 'no names', 'config reached the plugin');
    assert.equal(
      pluginHooks<{ onEventSaved: unknown[] }>(plugins, 'ingest', ['onEventSaved']).onEventSaved?.length,
      1,
    );
  });

  for (const [file, message] of [
    ['missing.mjs', /plugin "\.\/missing\.mjs": cannot be imported from file:/],
    ['no-such-package-xyz', /plugin "no-such-package-xyz": cannot be imported from no-such-package-xyz/],
    ['no-default.mjs', /plugin "no-default\.mjs": has no default export function/],
    ['throws.mjs', /plugin "throws\.mjs": setup failed: needs a setting/],
    ['bad-part.mjs', /plugin "bad-part\.mjs": unknown part "gatway"/],
    ['bad-hook.mjs', /plugin "bad-hook\.mjs": gateway\.rejectEvent must be an array of functions/],
    ['syntax.mjs', /plugin "syntax\.mjs": cannot be imported/],
  ] as const) {
    it(`fails naming the plugin: ${file}`, async () => {
      const name = file === 'missing.mjs' ? './missing.mjs' : file;
      await assert.rejects(loadPlugins([name], api, dir), (err: unknown) => {
        assert.ok(err instanceof PluginError);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('an unknown hook name is an error naming the plugin and the hook', async () => {
    const plugins = await loadPlugins(['typo.mjs'], api, dir);
    assert.throws(
      () => pluginHooks<Hooks>(plugins, 'gateway', GATEWAY_NAMES),
      /plugin "typo\.mjs": unknown gateway hook "rejectEvents"/,
    );
  });
});

describe('concatHooks', () => {
  it('joins the lists of each hook in order and leaves empty ones out', () => {
    const a = () => 'a';
    const b = () => 'b';
    const c = () => undefined;
    const merged = concatHooks<{
      rejectEvent: Array<() => string | undefined>;
      onConnect: Array<() => void>;
    }>({ rejectEvent: [a] }, undefined, { rejectEvent: [b, c], onConnect: [] });
    assert.deepEqual(merged, { rejectEvent: [a, b, c] });
  });
});
