import { type ChildProcess, spawn } from 'node:child_process';

const MAX_LOG_CHARS = 4 * 1024 * 1024;

/** A spawned relay process that has logged `relay listening`. */
export interface RelayProcess {
  /** The relay's process id (e.g. to read its memory in /proc/<pid>/status). */
  readonly pid: number;
  readonly url: string;
  readonly httpUrl: string;
  logs(): string;
  /** SIGTERM to this PID only, SIGKILL after `graceMs`; rejects if the exit was not clean. */
  stop(graceMs?: number): Promise<void>;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function tail(text: string, chars = 4000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

/**
 * Spawns `node <entry>` with `env` (on top of this process's environment minus `omitEnv`) and
 * resolves once a pino line `"msg":"relay listening"` carries the URL. Rejects with the log tail
 * if the process exits or stays silent for `timeoutMs`.
 */
export function spawnRelay(
  entry: string,
  env: Record<string, string>,
  opts: { cwd: string; omitEnv?: readonly string[]; timeoutMs?: number },
): Promise<RelayProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const key of opts.omitEnv ?? []) delete childEnv[key];
  Object.assign(childEnv, env);
  const child = spawn(process.execPath, [entry], {
    cwd: opts.cwd,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logText = '';
  const append = (chunk: string): void => {
    logText += chunk;
    if (logText.length > MAX_LOG_CHARS) logText = logText.slice(-MAX_LOG_CHARS);
  };
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit: Exit | undefined;
  void exited.then((e) => {
    exit = e;
  });
  child.stderr?.setEncoding('utf8').on('data', append);

  return new Promise<RelayProcess>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    let pending = '';
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      reject(new Error(`relay ${entry} ${why}\n--- relay output ---\n${tail(logText)}`));
    };
    const timer = setTimeout(() => fail(`did not log "relay listening" within ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(`could not be spawned: ${err.message}`));
    void exited.then((e) => fail(`exited before listening (code ${e.code}, signal ${e.signal})`));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      append(chunk);
      if (settled) return;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const url = listeningUrl(line);
        if (url === undefined) continue;
        settled = true;
        clearTimeout(timer);
        resolve({
          pid: child.pid ?? 0,
          url,
          httpUrl: url.replace(/^ws/, 'http'),
          logs: () => logText,
          stop: (graceMs) =>
            stopChild(
              child,
              exited,
              () => exit,
              graceMs ?? 10_000,
              () => logText,
            ),
        });
        return;
      }
    });
  });
}

function listeningUrl(line: string): string | undefined {
  if (!line.includes('relay listening')) return undefined;
  try {
    const parsed = JSON.parse(line) as { msg?: unknown; url?: unknown };
    if (parsed.msg !== 'relay listening' || typeof parsed.url !== 'string') return undefined;
    return /^wss?:\/\/[^/]+:\d+\/?$/.test(parsed.url) ? parsed.url.replace(/\/$/, '') : undefined;
  } catch {
    return undefined;
  }
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<Exit>,
  exitSoFar: () => Exit | undefined,
  graceMs: number,
  logs: () => string,
): Promise<void> {
  const early = exitSoFar();
  if (early !== undefined) {
    throw new Error(
      `relay had already exited before stop (code ${early.code}, signal ${early.signal})\n${tail(logs())}`,
    );
  }
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const graceful = await Promise.race([
    exited,
    new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (graceful === undefined) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`relay ignored SIGTERM for ${graceMs} ms and was killed\n${tail(logs())}`);
  }
  if (graceful.code !== 0) {
    throw new Error(
      `relay exited uncleanly on SIGTERM (code ${graceful.code}, signal ${graceful.signal})\n${tail(logs())}`,
    );
  }
}

/** Whether a process with this pid exists (signal 0 checks without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
