import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Runs `ip …`; throws with its stderr. */
export async function ip(...args: string[]): Promise<string> {
  try {
    const { stdout } = await exec('ip', args, { timeout: 15_000 });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT')
      throw new Error('the scale harness needs iproute2 (`ip`): apt-get install iproute2');
    throw new Error(`ip ${args.join(' ')}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** `ip …` where failure is fine (cleanup of something that may be gone already). */
export async function ipQuiet(...args: string[]): Promise<void> {
  await ip(...args).catch(() => {});
}
