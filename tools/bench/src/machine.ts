import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the figures were measured on; printed with every result. */
export interface Machine {
  cpus: number;
  model: string;
  memBytes: number;
  node: string;
  platform: string;
  kernel: string;
}

/** Describes this machine. */
export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    memBytes: os.totalmem(),
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    kernel: os.release(),
  };
}

/** One line for humans: `2 × Intel Xeon …, 7.8 GiB, node v20.20.2, linux/x64`. */
export function machineLine(m: Machine): string {
  const gib = (m.memBytes / 2 ** 30).toFixed(1);
  return `${m.cpus} × ${m.model}, ${gib} GiB RAM, node ${m.node}, ${m.platform} ${m.kernel}`;
}

/** Resident set size of a process in bytes, from /proc/<pid>/status (Linux only). */
export function residentBytes(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    throw new Error(`cannot read /proc/${pid}/status (is ${pid} a running process on this machine?)`, {
      cause: err,
    });
  }
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  if (!m) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(m[1]) * 1024;
}

/**
 * The limit on open files of a process (default: this one), soft (what it may open now) or
 * hard (what it may raise the soft limit to); undefined if unknown.
 */
export function openFileLimit(
  pid: number | 'self' = 'self',
  which: 'soft' | 'hard' = 'soft',
): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/limits`, 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)\s/m.exec(text);
    const v = m?.[which === 'soft' ? 1 : 2];
    if (v === undefined) return undefined;
    return v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v);
  } catch {
    return undefined;
  }
}
