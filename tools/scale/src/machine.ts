import { execFile } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** What the figures were measured on. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  redis: string;
  postgres: string;
  haproxy: string;
  loadAverage: string;
}

async function versionOf(cmd: string, args: string[], re: RegExp): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 10_000 });
    return re.exec(stdout + stderr)?.[1] ?? '?';
  } catch {
    return 'not found';
  }
}

/** The machine and the versions of what the topology runs. */
export async function machineFacts(): Promise<Machine> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? '?',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    redis: await versionOf('redis-server', ['--version'], /v=(\S+)/),
    postgres: await versionOf('/usr/lib/postgresql/15/bin/postgres', ['--version'], /\) (\S+)/),
    haproxy: await versionOf('haproxy', ['-v'], /version (\S+)/),
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}
