import { SETTINGS, type SettingSpec } from './settings.js';

type Specs = typeof SETTINGS;
type ValueOf<S extends SettingSpec> = S['type'] extends 'int'
  ? number
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : S['default'] extends undefined
        ? string | undefined
        : string;

/** Validated settings, keyed by environment variable name. */
export type Config = { readonly [S in Specs[number] as S['env']]: ValueOf<S> };

/** Thrown when the environment holds invalid settings; the message lists every problem. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid settings:\n  - ${problems.join('\n  - ')}\nFix these environment variables (see the settings table in README.md) and start again.`,
    );
    this.name = 'ConfigError';
  }
}

function parseValue(spec: SettingSpec, raw: string): { value?: unknown; problem?: string } {
  switch (spec.type) {
    case 'int': {
      if (!/^-?\d+$/.test(raw.trim()))
        return { problem: `${spec.env}=${JSON.stringify(raw)} is not an integer` };
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min)
        return { problem: `${spec.env}=${n} is below the minimum ${spec.min}` };
      if (spec.max !== undefined && n > spec.max)
        return { problem: `${spec.env}=${n} is above the maximum ${spec.max}` };
      return { value: n };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
      if (['0', 'false', 'no', 'off'].includes(v)) return { value: false };
      return { problem: `${spec.env}=${JSON.stringify(raw)} is not a boolean (use true or false)` };
    }
    case 'list':
      return {
        value: raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    case 'enum':
      if (!spec.values?.includes(raw))
        return { problem: `${spec.env}=${JSON.stringify(raw)} is not one of ${spec.values?.join(', ')}` };
      return { value: raw };
    default:
      return { value: raw };
  }
}

/**
 * Reads and validates settings from an environment map (only `main.ts` passes `process.env`).
 * Unset or empty variables take their defaults; every invalid value is reported at once.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  overrides: Partial<Record<string, unknown>> = {},
): Config {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (spec.env in overrides) {
      out[spec.env] = overrides[spec.env];
      continue;
    }
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[spec.env] = spec.default;
      continue;
    }
    const { value, problem } = parseValue(spec, raw);
    if (problem) problems.push(problem);
    else out[spec.env] = value;
  }
  for (const key of ['RELAY_PUBKEY', 'RELAY_SELF'] as const) {
    const pubkey = out[key];
    if (typeof pubkey === 'string' && !/^[0-9a-f]{64}$/.test(pubkey))
      problems.push(`${key} must be 64 lowercase hex characters`);
  }
  if ((out.DEFAULT_LIMIT as number) > (out.MAX_LIMIT as number))
    problems.push('DEFAULT_LIMIT must not exceed MAX_LIMIT');
  if ((out.MAX_FRAME_BYTES as number) < (out.MAX_MESSAGE_BYTES as number))
    problems.push('MAX_FRAME_BYTES must be at least MAX_MESSAGE_BYTES');
  if (problems.length > 0) throw new ConfigError(problems);
  return out as Config;
}

/** The NIP-11 `limitation` object, built from the same values the server enforces. */
export function limitationOf(config: Config): Record<string, number | boolean> {
  const out: Record<string, number | boolean> = {};
  const values = config as unknown as Record<string, unknown>;
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    if (!spec.nip11) continue;
    const v = values[spec.env];
    if (typeof v !== 'number') continue;
    // 0 means "off" for the bounds below; NIP-11 has no way to say "no limit" except omission.
    if (v === 0 && (spec.env === 'CREATED_AT_LOWER_LIMIT' || spec.env === 'MIN_POW_DIFFICULTY')) continue;
    out[spec.nip11] = v;
  }
  return out;
}

/** The settings table for the README, in Markdown. */
export function settingsMarkdown(): string {
  const rows = (SETTINGS as readonly SettingSpec[]).map((s) => {
    const def =
      s.default === undefined
        ? '(unset)'
        : `\`${Array.isArray(s.default) ? s.default.join(',') : String(s.default)}\``;
    const nip11 = s.nip11 ? `\`${s.nip11}\`` : '';
    return `| \`${s.env}\` | ${def} | ${s.description} | ${nip11} |`;
  });
  return ['| Variable | Default | Meaning | NIP-11 `limitation` |', '|---|---|---|---|', ...rows].join('\n');
}
