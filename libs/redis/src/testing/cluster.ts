/**
 * A real Redis Cluster for tests: 3 masters and 3 replicas, each a `redis-server` process of
 * ours on free loopback ports in a temp dir, made a cluster by `redis-cli --cluster create`.
 * Stopped by PID (never by name) and its dir removed, also when the start fails.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RedisTarget } from '../target.js';

const run = promisify(execFile);

/** One redis-server process of a test cluster. */
export interface TestClusterNode {
  port: number;
  /** Undefined while the process is stopped. */
  process: ChildProcess | undefined;
}

/** A running test cluster. */
export interface TestRedisCluster {
  /** Seeds for `redisTargetOf` / REDIS_CLUSTER_NODES: every node's `127.0.0.1:<port>`. */
  readonly nodes: readonly string[];
  readonly target: RedisTarget;
  readonly members: readonly TestClusterNode[];
  /** Sends a command to the node on `port` (redis-cli), returning its output. */
  cli(port: number, ...args: string[]): Promise<string>;
  /** The port of the master that owns `slot` now. */
  masterOf(slot: number): Promise<number>;
  /** SIGKILLs the node on `port` (a master: its replica takes over after the node timeout). */
  kill(port: number): Promise<void>;
  /** Starts the node on `port` again with its saved cluster config (it rejoins, as a replica if replaced). */
  restart(port: number): Promise<void>;
  /** Resolves once every running node reports cluster_state:ok and sees every slot served by a running master. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    // The cluster bus listens on port + 10000: that one must be free too.
    if (port + 10_000 > 65_535 || taken.has(port) || taken.has(port + 10_000)) continue;
    const bus = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port + 10_000, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (!bus) continue;
    taken.add(port);
    taken.add(port + 10_000);
    return port;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts 3 masters + 3 replicas (`size` nodes, replicas 1) and waits for cluster_state:ok and synced replicas. */
export async function startTestRedisCluster(size = 6): Promise<TestRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'nrelay-rc-'));
  const taken = new Set<number>();
  const members: TestClusterNode[] = [];
  const cli = async (port: number, ...args: string[]) =>
    (await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 })).stdout;

  function spawnNode(member: TestClusterNode): void {
    const child = spawn(
      'redis-server',
      [
        '--cluster-enabled',
        'yes',
        '--port',
        String(member.port),
        '--bind',
        '127.0.0.1',
        '--cluster-config-file',
        join(dir, `nodes-${member.port}.conf`),
        '--cluster-node-timeout',
        '1000',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    member.process = child;
    child.on('exit', () => {
      if (member.process === child) member.process = undefined;
    });
  }

  async function waitPing(port: number): Promise<void> {
    for (let i = 0; i < 200; i++) {
      try {
        if ((await cli(port, 'PING')).trim() === 'PONG') return;
      } catch {}
      await sleep(25);
    }
    throw new Error(`redis-server on ${port} did not answer PING`);
  }

  async function masterOf(slot: number): Promise<number> {
    for (const m of members) {
      if (m.process === undefined) continue;
      const out = await cli(m.port, 'CLUSTER', 'NODES').catch(() => '');
      // <id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>
      for (const line of out.split('\n')) {
        const fields = line.trim().split(' ');
        const flags = fields[2] ?? '';
        if (!flags.includes('master') || flags.includes('fail')) continue;
        for (const range of fields.slice(8)) {
          const [from, to = from] = range.split('-').map(Number);
          if (from !== undefined && to !== undefined && from <= slot && slot <= to) {
            return Number((fields[1] ?? '').split('@')[0]?.split(':')[1]);
          }
        }
      }
    }
    throw new Error(`no live node knows the master of slot ${slot}`);
  }

  /** Slots served by masters that are running processes of ours, as `port`'s node sees it. */
  async function liveSlots(port: number): Promise<number> {
    const running = new Set(members.filter((m) => m.process !== undefined).map((m) => m.port));
    const out = await cli(port, 'CLUSTER', 'NODES').catch(() => '');
    let slots = 0;
    for (const line of out.split('\n')) {
      const fields = line.trim().split(' ');
      const flags = fields[2] ?? '';
      const nodePort = Number((fields[1] ?? '').split('@')[0]?.split(':')[1]);
      if (!flags.includes('master') || flags.includes('fail') || !running.has(nodePort)) continue;
      for (const range of fields.slice(8)) {
        if (range.startsWith('[')) continue; // a slot being migrated
        const [from, to = from] = range.split('-').map(Number);
        if (from !== undefined && to !== undefined) slots += to - from + 1;
      }
    }
    return slots;
  }

  async function waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let ok = true;
      for (const m of members) {
        if (m.process === undefined) continue;
        const info = await cli(m.port, 'CLUSTER', 'INFO').catch(() => '');
        if (!info.includes('cluster_state:ok') || (await liveSlots(m.port)) !== 16_384) ok = false;
      }
      if (ok) return;
      if (Date.now() > deadline) throw new Error('the test Redis Cluster did not become healthy');
      await sleep(100);
    }
  }

  /**
   * Resolves once every replica has finished its first sync: until then a replica refuses to
   * take over (its data is too old), so a master killed earlier is never replaced.
   */
  async function waitReplicasSynced(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const roles = await Promise.all(members.map((m) => cli(m.port, 'INFO', 'replication').catch(() => '')));
      if (roles.every((r) => r.includes('role:master') || r.includes('master_link_status:up'))) return;
      if (Date.now() > deadline) throw new Error('the test Redis Cluster replicas did not sync');
      await sleep(100);
    }
  }

  async function stop(): Promise<void> {
    await Promise.all(
      members.map(async (m) => {
        const child = m.process;
        if (child === undefined || child.exitCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  }

  try {
    for (let i = 0; i < size; i++) members.push({ port: await freePort(taken), process: undefined });
    for (const m of members) spawnNode(m);
    await Promise.all(members.map((m) => waitPing(m.port)));
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...members.map((m) => `127.0.0.1:${m.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 60_000 },
    );
    await waitHealthy();
    await waitReplicasSynced();
  } catch (err) {
    await stop();
    throw err;
  }
  const nodes = members.map((m) => `127.0.0.1:${m.port}`);
  return {
    nodes,
    target: { kind: 'cluster', seeds: members.map((m) => ({ host: '127.0.0.1', port: m.port })) },
    members,
    cli,
    masterOf,
    async kill(port) {
      const member = members.find((m) => m.port === port);
      const child = member?.process;
      if (child === undefined) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async restart(port) {
      const member = members.find((m) => m.port === port);
      if (member === undefined || member.process !== undefined) return;
      spawnNode(member);
      await waitPing(port);
    },
    waitHealthy,
    stop,
  };
}
