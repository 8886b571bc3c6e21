import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connectRedisOnce } from '@nrelay/redis';
import type { Redis } from 'ioredis';

/** A process to account CPU to, by label (`gateway-1`, `postgres`, …). */
export interface Tracked {
  label: string;
  pid: number | undefined;
  /** Count its children too (Postgres: the postmaster's backends). */
  withChildren?: boolean;
}

/** CPU seconds per label and Redis's counters at one instant. */
export interface Reading {
  /** performance.now() in ms. */
  at: number;
  cpu: Record<string, number>;
  /** Seconds each main thread was runnable but waiting for a core (/proc/<pid>/schedstat). */
  wait: Record<string, number>;
  /** Redis INFO cpu: used_cpu_user + used_cpu_sys, seconds. */
  redisCpu: number;
  /** CPU seconds the whole machine was busy (all cores, /proc/stat): ours and anyone else's. */
  machineBusy: number;
  /** Redis INFO commandstats: PUBLISH + SPUBLISH calls. */
  publishCalls: number;
}

/** What happened between two readings: % of one core per label, Redis's rates. */
export interface Window {
  seconds: number;
  /** % of one core, per label. */
  cpu: Record<string, number>;
  /** Milliseconds per second each main thread waited for a core (run queue), per label. */
  wait: Record<string, number>;
  redisCpu: number;
  /** % of one core the whole machine was busy (every process, ours or not). */
  machineBusy: number;
  publishPerSec: number;
}

let ticks: number | undefined;
function clockTicks(): number {
  ticks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

/** utime + stime (s) and parent PID of `pid`, or undefined when it is gone. */
function statOf(pid: number): { cpu: number; ppid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / clockTicks(), ppid: Number(f[1]) };
  } catch {
    return undefined;
  }
}

/** Seconds the main thread of `pid` has waited on a run queue, or undefined when it is gone. */
function runQueueWait(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return undefined;
  }
}

/** CPU seconds of `root` and its children (one level: the postmaster's backends). */
function familyCpu(root: number): number {
  let total = statOf(root)?.cpu ?? 0;
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === root) continue;
    const s = statOf(pid);
    if (s?.ppid === root) total += s.cpu;
  }
  return total;
}

/** Busy CPU seconds of the machine since boot: every state but idle and iowait. */
function machineBusySeconds(): number {
  const cpu =
    readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (cpu[3] ?? 0) - (cpu[4] ?? 0)) / clockTicks();
}

function infoNumber(info: string, key: string): number {
  const m = new RegExp(`^${key}:([0-9.]+)`, 'm').exec(info);
  return m ? Number(m[1]) : 0;
}

function commandCalls(info: string, command: string): number {
  const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : 0;
}

/** Samples the CPU of the topology's processes (/proc) and Redis's INFO. */
export class CpuProfile {
  private constructor(
    private readonly redis: Redis,
    private readonly tracked: () => Tracked[],
  ) {}

  static async open(redisUrl: string, tracked: () => Tracked[]): Promise<CpuProfile> {
    return new CpuProfile(await connectRedisOnce(redisUrl, 3000), tracked);
  }

  async read(): Promise<Reading> {
    const at = performance.now();
    const cpu: Record<string, number> = {};
    const wait: Record<string, number> = {};
    for (const t of this.tracked()) {
      if (t.pid === undefined) continue;
      cpu[t.label] = t.withChildren ? familyCpu(t.pid) : (statOf(t.pid)?.cpu ?? 0);
      const w = runQueueWait(t.pid);
      if (w !== undefined) wait[t.label] = w;
    }
    const info = await this.redis.info('all');
    return {
      at,
      cpu,
      wait,
      redisCpu: infoNumber(info, 'used_cpu_user') + infoNumber(info, 'used_cpu_sys'),
      machineBusy: machineBusySeconds(),
      publishCalls: commandCalls(info, 'publish') + commandCalls(info, 'spublish'),
    };
  }

  close(): void {
    this.redis.disconnect();
  }
}

/** The rates between two readings. */
export function windowOf(a: Reading, b: Reading): Window {
  const seconds = (b.at - a.at) / 1000;
  const pct = (x: number) => (seconds > 0 ? (100 * x) / seconds : 0);
  const cpu: Record<string, number> = {};
  for (const [label, v] of Object.entries(b.cpu)) cpu[label] = pct(v - (a.cpu[label] ?? v));
  const wait: Record<string, number> = {};
  for (const [label, v] of Object.entries(b.wait))
    wait[label] = seconds > 0 ? (1000 * (v - (a.wait[label] ?? v))) / seconds : 0;
  return {
    seconds,
    cpu,
    wait,
    redisCpu: pct(b.redisCpu - a.redisCpu),
    machineBusy: pct(b.machineBusy - a.machineBusy),
    publishPerSec: seconds > 0 ? (b.publishCalls - a.publishCalls) / seconds : 0,
  };
}
