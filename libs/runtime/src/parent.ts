/**
 * Calls `onExit` once when the process that started this one goes away (the parent pid
 * changes: the kernel re-parents an orphan to init or a subreaper). `npm start` and
 * `npm run cluster` need it: npm does not pass SIGTERM on to the script it runs, so
 * `kill -TERM <npm pid>` would leave the relay running with no parent. Checked every
 * `intervalMs` on an unref'd timer; returns a function that stops watching.
 */
export function watchParent(onExit: () => void, intervalMs = 1000): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onExit();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Whether this process was started by an npm script (npm sets `npm_lifecycle_event`): only
 * then does it stop with its parent. A relay started by hand (`nohup node …`), by systemd or
 * as a container's PID 1 keeps running whatever happens to the shell that started it.
 */
export function startedByNpm(env: Record<string, string | undefined>): boolean {
  return env.npm_lifecycle_event !== undefined && env.npm_lifecycle_event !== '';
}
