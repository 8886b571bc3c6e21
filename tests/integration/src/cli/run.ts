import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, four levels above this file (tests/integration/dist/cli). */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ENTRY = join(REPO_ROOT, 'apps', 'cli', 'bin', 'nrelay.js');

/** Where the CLI finds its store: a Postgres database or a PGlite folder. */
export type CliStore = { databaseUrl: string } | { dataDir: string };

/** A finished CLI run. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI process still running, and its end. */
export interface CliProcess {
  child: ChildProcess;
  stderr(): string;
  done: Promise<CliRun>;
}

function envOf(store: CliStore, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.DATABASE_URL;
  delete env.DATA_DIR;
  delete env.REDIS_URL;
  if ('databaseUrl' in store) env.DATABASE_URL = store.databaseUrl;
  else env.DATA_DIR = store.dataDir;
  return { ...env, ...extra };
}

/** Starts `nrelay <args>` (the bin `npx nrelay` runs) on `store`, collecting its output; `stdin` is piped in. */
export function spawnCli(
  args: string[],
  store: CliStore,
  extra: Record<string, string> = {},
  stdin?: string,
): CliProcess {
  if (!existsSync(join(REPO_ROOT, 'apps', 'cli', 'dist', 'main.js'))) {
    throw new Error('apps/cli/dist/main.js does not exist: build the CLI first (npm run build).');
  }
  const child = spawn(process.execPath, [ENTRY, ...args], {
    cwd: REPO_ROOT,
    env: envOf(store, extra),
    stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (stdin !== undefined) child.stdin?.end(stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const done = once(child, 'close').then(([code]) => ({ code: code as number | null, stdout, stderr }));
  return { child, stderr: () => stderr, done };
}

/** Runs `nrelay <args>` on `store` to its end. */
export function runCli(
  args: string[],
  store: CliStore,
  extra: Record<string, string> = {},
  stdin?: string,
): Promise<CliRun> {
  return spawnCli(args, store, extra, stdin).done;
}

/** The `--json` summary an import printed on stdout. */
export function summaryOf(run: CliRun): Record<string, unknown> {
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`no JSON summary (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}
