import { type ChildProcess, spawn } from 'node:child_process';
import { waitForHttp } from './ports.js';

/** Where a service's output lines go. */
export type LineSink = (service: string, line: string) => void;

/** One service of the local cluster run as a child process that can be stopped, killed and restarted. */
export class ServiceProcess {
  #child: ChildProcess | undefined;
  #exited: Promise<number | null> = Promise.resolve(null);
  #tail: string[] = [];
  /** Called when the process exits without being asked to. */
  onUnexpectedExit: ((code: number | null, signal: NodeJS.Signals | null) => void) | undefined;
  #stopping = false;
  /** Set when the command could not be spawned at all (e.g. ENOENT). */
  spawnError: NodeJS.ErrnoException | undefined;

  constructor(
    readonly name: string,
    readonly command: string,
    readonly args: string[],
    readonly env: Record<string, string>,
    readonly readyUrl: string | undefined,
    readonly sink: LineSink,
  ) {}

  /** PID of the running process, if any. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null ? this.#child.pid : undefined;
  }

  /** The last lines the process printed (for error messages). */
  tail(): string {
    return this.#tail.join('\n');
  }

  /** Spawns the process and waits until its readiness URL answers 200. */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    this.#stopping = false;
    const child = spawn(this.command, this.args, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        if (!this.#stopping) this.onUnexpectedExit?.(code, signal);
        resolve(code);
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.#line(`cannot start ${this.command}: ${err.message}`);
        this.spawnError = err;
        resolve(null);
      });
    });
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.#line(line);
      });
    }
    if (this.readyUrl) {
      await waitForHttp(
        this.readyUrl,
        readyTimeoutMs,
        this.name,
        () => child.exitCode === null && !this.spawnError,
      ).catch((err: unknown) => {
        if (this.spawnError) throw this.spawnError;
        throw new Error(
          `${err instanceof Error ? err.message : String(err)}\n--- last output of ${this.name} ---\n${this.tail()}`,
        );
      });
    }
  }

  /** Runs the process to completion (for one-shot jobs such as migrations); throws on a non-zero exit. */
  async run(): Promise<void> {
    await this.start();
    const code = await this.#exited;
    if (code !== 0) throw new Error(`${this.name} exited with ${code}\n${this.tail()}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#stopping = true;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }

  /** kill -9: the process gets no chance to clean up (fault tests). */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.#stopping = true;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** Resolves with the exit code when the process ends. */
  exited(): Promise<number | null> {
    return this.#exited;
  }

  #line(line: string): void {
    this.#tail.push(line);
    if (this.#tail.length > 200) this.#tail.shift();
    this.sink(this.name, line);
  }
}
