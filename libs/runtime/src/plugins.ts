/**
 * Plugins: modules named in the PLUGINS setting whose default export returns hook lists for the
 * gateway and/or ingest (docs/plugins.md). This loader knows nothing of the hook types: it
 * checks the shape (arrays of functions under known part names) and each composition root
 * picks its part and the hook names it knows.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '@nrelay/config';
import type { Logger } from 'pino';

/** What a plugin's default export is called with. */
export interface PluginApi {
  /** The validated settings of the process loading the plugin. */
  readonly config: Config;
  /** A child logger tagged `plugin: <name>`. */
  readonly logger: Logger;
}

/** The processes a plugin may add hooks to. */
export const PLUGIN_PARTS = ['gateway', 'ingest'] as const;

/** One of {@link PLUGIN_PARTS}. */
export type PluginPart = (typeof PLUGIN_PARTS)[number];

/** A loaded plugin: its name as configured and its hook lists per part (validated arrays of functions). */
export interface LoadedPlugin {
  readonly name: string;
  readonly parts: Readonly<Partial<Record<PluginPart, Readonly<Record<string, readonly unknown[]>>>>>;
}

/** A plugin could not be loaded or returned something that is not hooks; the message names it. */
export class PluginError extends Error {
  constructor(
    readonly plugin: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin "${plugin}": ${message}`, options);
    this.name = 'PluginError';
  }
}

/**
 * Where a PLUGINS entry is imported from: an absolute path, a path relative to `cwd` (starting
 * with `.` or naming an existing file), else a package name resolved from the relay's install.
 */
export function pluginSpecifier(name: string, cwd: string): string {
  if (isAbsolute(name)) return pathToFileURL(name).href;
  const path = resolve(cwd, name);
  if (name.startsWith('.') || existsSync(path)) return pathToFileURL(path).href;
  return name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks what a plugin's default export returned; throws a {@link PluginError} naming the problem. */
function checkParts(name: string, result: unknown): LoadedPlugin['parts'] {
  if (result === undefined || result === null) return {};
  if (!isRecord(result))
    throw new PluginError(name, 'must return an object like { gateway: {...}, ingest: {...} }');
  const parts: Partial<Record<PluginPart, Record<string, readonly unknown[]>>> = {};
  for (const [part, hooks] of Object.entries(result)) {
    if (!(PLUGIN_PARTS as readonly string[]).includes(part)) {
      throw new PluginError(name, `unknown part "${part}" (expected ${PLUGIN_PARTS.join(' or ')})`);
    }
    if (hooks === undefined) continue;
    if (!isRecord(hooks)) throw new PluginError(name, `"${part}" must be an object of hook lists`);
    for (const [hook, list] of Object.entries(hooks)) {
      if (!Array.isArray(list) || !list.every((fn) => typeof fn === 'function')) {
        throw new PluginError(name, `${part}.${hook} must be an array of functions`);
      }
    }
    parts[part as PluginPart] = hooks as Record<string, readonly unknown[]>;
  }
  return parts;
}

/**
 * Imports every plugin in order and calls its default export with `api` (awaiting a promise).
 * Fails with a {@link PluginError} naming the first plugin that cannot be imported, has no
 * default-exported function, throws, or returns something that is not hook lists.
 */
export async function loadPlugins(
  names: readonly string[],
  api: PluginApi,
  cwd: string = process.cwd(),
): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const name of names) {
    const specifier = pluginSpecifier(name, cwd);
    let module: { default?: unknown };
    try {
      module = (await import(specifier)) as { default?: unknown };
    } catch (err) {
      throw new PluginError(name, `cannot be imported from ${specifier}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const setup = module.default;
    if (typeof setup !== 'function') {
      throw new PluginError(name, 'has no default export function (api) => ({ gateway, ingest })');
    }
    let result: unknown;
    try {
      result = await setup({ config: api.config, logger: api.logger.child({ plugin: name }) });
    } catch (err) {
      throw new PluginError(name, `setup failed: ${(err as Error).message}`, { cause: err });
    }
    loaded.push({ name, parts: checkParts(name, result) });
  }
  return loaded;
}

/**
 * The hooks of one part across plugins, concatenated in plugin order. A hook name outside
 * `known` (a typo, or a hook of another version) is an error naming the plugin.
 */
export function pluginHooks<H extends object>(
  plugins: readonly LoadedPlugin[],
  part: PluginPart,
  known: readonly (keyof H & string)[],
): Partial<H> {
  const out: Record<string, unknown[]> = {};
  for (const plugin of plugins) {
    const hooks = plugin.parts[part];
    if (hooks === undefined) continue;
    for (const [hook, list] of Object.entries(hooks)) {
      if (!(known as readonly string[]).includes(hook)) {
        throw new PluginError(plugin.name, `unknown ${part} hook "${hook}" (known: ${known.join(', ')})`);
      }
      if (list.length > 0) appendTo(out, hook, list);
    }
  }
  return out as Partial<H>;
}

/**
 * Concatenates hook sets in order (built-in policies first, then plugins): for each hook name the
 * lists are joined; sets may be partial or undefined. Empty lists stay absent.
 */
export function concatHooks<H extends object>(...sets: ReadonlyArray<Partial<H> | undefined>): Partial<H> {
  const out: Record<string, unknown[]> = {};
  for (const set of sets) {
    if (set === undefined) continue;
    for (const [hook, list] of Object.entries(set)) {
      if (Array.isArray(list) && list.length > 0) appendTo(out, hook, list);
    }
  }
  return out as Partial<H>;
}

function appendTo(out: Record<string, unknown[]>, hook: string, list: readonly unknown[]): void {
  const existing = out[hook];
  if (existing === undefined) out[hook] = [...list];
  else existing.push(...list);
}
