import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Repository root, three levels above this file (tools/bench/dist). */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The standalone relay's entry point once built. */
const STANDALONE_ENTRY = fileURLToPath(new URL('../../../apps/standalone/dist/main.js', import.meta.url));

/** A relay started by {@link startStandaloneRelay}. */
export interface RelayChild {
  url: string;
  pid: number;
  /** Everything the relay printed so far (capped). */
  logs(): string;
  /** SIGTERM to this PID; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const MAX_LOG = 1 << 20;

/**
 * Starts `apps/standalone/dist/main.js` on 127.0.0.1 with `env` added (e.g. PORT=0, DATA_DIR)
 * and resolves with its URL once it logs `relay listening`. Fails with the log tail if the
 * entry is missing, the process exits, or it stays silent for `timeoutMs`.
 */
export function startStandaloneRelay(env: Record<string, string>, timeoutMs = 60_000): Promise<RelayChild> {
  if (!existsSync(STANDALONE_ENTRY)) {
    return Promise.reject(
      new Error(
        `${STANDALONE_ENTRY} does not exist: build the relay first (npm run build, or npm start once).`,
      ),
    );
  }
  const childEnv: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env };
  // An inherited DATABASE_URL would silently turn a PGlite run into a Postgres one.
  if (env.DATABASE_URL === undefined) delete childEnv.DATABASE_URL;
  const child = spawn(process.execPath, [STANDALONE_ENTRY], {
    cwd: REPO_ROOT,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logText = '';
  const append = (chunk: string): void => {
    logText = (logText + chunk).slice(-MAX_LOG);
  };
  child.stderr?.setEncoding('utf8').on('data', append);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let pending = '';
    const fail = (why: string): void => {
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`standalone relay ${why}\n--- relay output ---\n${logText.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail(`did not log "relay listening" within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(`could not be spawned: ${err.message}`));
    const onEarlyExit = (code: number | null, signal: string | null): void =>
      fail(`exited before listening (code ${code}, signal ${signal})`);
    child.once('exit', onEarlyExit);
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      append(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const url = listeningUrl(line);
        if (url === undefined || child.pid === undefined) continue;
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve({
          url,
          pid: child.pid,
          logs: () => logText,
          stop: (graceMs) => stopChild(child, exited, graceMs),
        });
        return;
      }
    });
  });
}

function listeningUrl(line: string): string | undefined {
  if (!line.includes('relay listening')) return undefined;
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    return entry.msg === 'relay listening' && typeof entry.url === 'string' ? entry.url : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
