import { parseArgs } from 'node:util';

/** Command-line flags shared by cli.js and standard.js. */
export const FLAGS = {
  url: { type: 'string' },
  'sub-url': { type: 'string' },
  'pub-url': { type: 'string' },
  'gateway-url': { type: 'string' },
  embedded: { type: 'boolean' },
  'stats-check-seconds': { type: 'string' },
  count: { type: 'string' },
  duration: { type: 'string' },
  publishers: { type: 'string' },
  inflight: { type: 'string' },
  clients: { type: 'string' },
  subscribers: { type: 'string' },
  mode: { type: 'string' },
  rate: { type: 'string' },
  authors: { type: 'string' },
  pid: { type: 'string', multiple: true },
  pids: { type: 'string', multiple: true },
  'database-url': { type: 'string' },
  'redis-url': { type: 'string' },
  'redis-prefix': { type: 'string' },
  connections: { type: 'string' },
  parallel: { type: 'string' },
  'span-days': { type: 'string' },
  shape: { type: 'string', multiple: true },
  baseline: { type: 'string' },
  probes: { type: 'string' },
  mix: { type: 'string' },
  sign: { type: 'boolean' },
  seed: { type: 'string' },
  json: { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  quick: { type: 'boolean' },
  label: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parsed flags with typed, validated accessors. */
export class Args {
  private constructor(
    readonly positionals: string[],
    private readonly values: Record<string, string | boolean | string[] | undefined>,
  ) {}

  /** Parses `argv` (without node and script); unknown flags are an error. */
  static parse(argv: readonly string[]): Args {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: FLAGS,
      allowPositionals: true,
      strict: true,
    });
    return new Args(positionals, values as Record<string, string | boolean | string[] | undefined>);
  }

  /** A string flag, or `fallback`. */
  str(name: keyof typeof FLAGS, fallback: string): string;
  str(name: keyof typeof FLAGS): string | undefined;
  str(name: keyof typeof FLAGS, fallback?: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : fallback;
  }

  /** A positive integer flag (`10k`, `1m` accepted), or `fallback`. */
  int(name: keyof typeof FLAGS, fallback: number): number {
    const v = this.str(name);
    if (v === undefined) return fallback;
    const m = /^(\d+)([km]?)$/i.exec(v.trim());
    const n = m ? Number(m[1]) * ({ k: 1e3, m: 1e6 }[(m[2] ?? '').toLowerCase()] ?? 1) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1)
      throw new Error(`--${name} ${JSON.stringify(v)} is not a positive integer`);
    return n;
  }

  /** A non-negative integer flag (`0` allowed, `10k` accepted), or `fallback`. */
  int0(name: keyof typeof FLAGS, fallback: number): number {
    return this.str(name)?.trim() === '0' ? 0 : this.int(name, fallback);
  }

  /** A boolean flag. */
  bool(name: keyof typeof FLAGS): boolean {
    return this.values[name] === true;
  }

  /** One of `choices`, or `fallback`. */
  choice<T extends string>(name: keyof typeof FLAGS, choices: readonly T[], fallback: T): T {
    const v = this.str(name);
    if (v === undefined) return fallback;
    if (!(choices as readonly string[]).includes(v))
      throw new Error(`--${name} must be one of ${choices.join(', ')}`);
    return v as T;
  }

  /** A repeatable flag whose values may also be comma-separated, flattened. */
  list(name: keyof typeof FLAGS): string[] {
    const v = this.values[name];
    const raw = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    return raw
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** Process ids from `--pid` and `--pids`. */
  pids(): number[] {
    return [...this.list('pid'), ...this.list('pids')].map((s) => {
      const n = Number(s);
      if (!Number.isSafeInteger(n) || n < 1)
        throw new Error(`--pid ${JSON.stringify(s)} is not a process id`);
      return n;
    });
  }
}
