/**
 * Hosts as Linux network namespaces on one machine (needs root and iproute2).
 *
 * One run = one tag (`nrs` + 4 hex digits, e.g. `nrs3fa2`) and one 10.213.<x>.0/24 subnet that no
 * interface of the machine uses. Two bridges live in the root namespace:
 * - the front bridge (10.213.<x>.0/25, root = .1): HAProxy and the load generators (root
 *   namespace) reach the gateways' front addresses;
 * - the back bridge (10.213.<x>.128/25, root = .129): gateways, ingest workers, query services and
 *   Redis reach each other, and Postgres in the root namespace.
 * A host has one veth per bridge it is on; the root-side end is named `<tag><host><f|b>` (≤ 15
 * characters), so `ip link set <root end> down` cuts exactly that host's link. Namespaces get no
 * default route: a host whose back link is down cannot reach the back side at all.
 *
 * Every namespace and link is recorded and removed by {@link Network.cleanup}; the run's owner
 * file (PID) lets {@link cleanupStale} tell a crashed run's leftovers from a live run's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ip } from './ip.js';
import { listNamespaces, OWNERS_DIR, removeRun } from './leftovers.js';

/** Every name this harness creates starts with this (namespaces, links, Postgres clusters). */
const PREFIX = 'nrs';

/** Which bridge a link is on. */
export type Side = 'front' | 'back';

/** A namespace ("host") of the run. */
export interface Host {
  /** The namespace's name, e.g. `nrs3fa2-gw1`. */
  readonly ns: string;
  /** Its address on each bridge it is on. */
  readonly address: Partial<Record<Side, string>>;
  /** Root-side veth end of each of its links (what {@link Network.setLink} takes). */
  readonly link: Partial<Record<Side, string>>;
  /** The argv prefix that runs a command inside the host: `ip netns exec <ns>`. */
  readonly exec: readonly string[];
}

/** The namespaces, bridges and veths of one run. */
export class Network {
  /** Namespaces and root-side links created, in order (removed in reverse). */
  readonly #namespaces: string[] = [];
  readonly #links: string[] = [];
  /** Root-side end → the namespace and name of its peer. */
  readonly #peers = new Map<string, { ns: string; name: string }>();
  #cleaned = false;

  private constructor(
    /** `nrs` + 4 hex digits: prefix of every name of this run. */
    readonly tag: string,
    /** The first three octets of the run's /24, e.g. `10.213.57`. */
    readonly subnet: string,
  ) {}

  /** The root namespace's address on the front bridge (HAProxy's source address). */
  get frontRoot(): string {
    return `${this.subnet}.1`;
  }

  /** The root namespace's address on the back bridge (where Postgres listens). */
  get backRoot(): string {
    return `${this.subnet}.129`;
  }

  /** The front /25, as a CIDR. */
  get frontCidr(): string {
    return `${this.subnet}.0/25`;
  }

  /** The back /25, as a CIDR. */
  get backCidr(): string {
    return `${this.subnet}.128/25`;
  }

  /**
   * Picks a free tag and subnet, records this process as their owner and creates both bridges.
   * The caller must {@link cleanup} (it is also run on SIGINT/SIGTERM/uncaught errors).
   */
  static async create(): Promise<Network> {
    const used = new Set<string>();
    for (const m of (await ip('-o', '-4', 'addr')).matchAll(/inet 10\.213\.(\d+)\./g)) used.add(m[1]!);
    const free = Array.from({ length: 256 }, (_, i) => String(i)).filter((x) => !used.has(x));
    if (free.length === 0) throw new Error('no free 10.213.x.0/24 subnet left');
    const third = free[Math.floor(Math.random() * free.length)]!;
    const tag = `${PREFIX}${randomBytes(2).toString('hex')}`;
    mkdirSync(OWNERS_DIR, { recursive: true });
    writeFileSync(join(OWNERS_DIR, tag), `${process.pid}\n`);
    const net = new Network(tag, `10.213.${third}`);
    registerCleanup(net.cleanup);
    try {
      for (const [side, root] of [
        ['front', net.frontRoot],
        ['back', net.backRoot],
      ] as const) {
        const br = net.bridge(side);
        await ip('link', 'add', br, 'type', 'bridge');
        net.#links.push(br);
        await ip('addr', 'add', `${root}/25`, 'dev', br);
        await ip('link', 'set', br, 'up');
      }
    } catch (err) {
      await net.cleanup();
      throw err;
    }
    return net;
  }

  /** The bridge of one side: `<tag>-f` / `<tag>-b` (a host's links have no `-`). */
  bridge(side: Side): string {
    return `${this.tag}-${side[0]}`;
  }

  /**
   * Creates namespace `<tag>-<name>` with loopback up and one veth per entry of `on`, at host
   * number `hostNo` (1–126) of each side's /25. `short` (≤ 6 characters, unique in the run) names
   * the root-side ends `<tag><short><f|b>`.
   */
  async addHost(name: string, short: string, hostNo: number, on: readonly Side[]): Promise<Host> {
    if (!/^[a-z0-9]{1,6}$/.test(short) || hostNo < 2 || hostNo > 126)
      throw new Error(`bad host ${short}/${hostNo}`);
    const ns = `${this.tag}-${name}`;
    await ip('netns', 'add', ns);
    this.#namespaces.push(ns);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    const address: Partial<Record<Side, string>> = {};
    const link: Partial<Record<Side, string>> = {};
    for (const side of on) {
      const rootEnd = `${this.tag}${short}${side[0]}`;
      const addr = `${this.subnet}.${side === 'front' ? hostNo : 128 + hostNo}`;
      // The peer is created straight inside the namespace, so its name need not be unique.
      await ip('link', 'add', rootEnd, 'type', 'veth', 'peer', 'name', side, 'netns', ns);
      this.#links.push(rootEnd);
      this.#peers.set(rootEnd, { ns, name: side });
      await ip('link', 'set', rootEnd, 'master', this.bridge(side), 'up');
      await ip('-n', ns, 'addr', 'add', `${addr}/25`, 'dev', side);
      await ip('-n', ns, 'link', 'set', side, 'up');
      address[side] = addr;
      link[side] = rootEnd;
    }
    return { ns, address, link, exec: ['netns', 'exec', ns] };
  }

  /**
   * Sets a root-side link end up or down (down: the host loses that side, the other stays).
   * Up resolves once the namespace's end has its carrier back and the bridge forwards.
   */
  async setLink(rootEnd: string, up: boolean): Promise<void> {
    const peer = this.#peers.get(rootEnd);
    if (!peer) throw new Error(`${rootEnd} is not a host link of run ${this.tag}`);
    await ip('link', 'set', rootEnd, up ? 'up' : 'down');
    if (!up) return;
    const deadline = Date.now() + 10_000;
    for (;;) {
      const inside = await ip('-n', peer.ns, '-o', 'link', 'show', 'dev', peer.name);
      const port = readFileSync(`/sys/class/net/${rootEnd}/brport/state`, 'utf8').trim();
      // brport state 3 = forwarding.
      if (/[<,]LOWER_UP[,>]/.test(inside) && port === '3') {
        // Neighbours that failed to resolve while the link was down would refuse the first
        // connections (EHOSTUNREACH) until they expire: forget them.
        await ip('-n', peer.ns, 'neigh', 'flush', 'dev', peer.name);
        return;
      }
      if (Date.now() > deadline) throw new Error(`${rootEnd} did not come back up`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** The namespaces of this run that exist now (for tests: empty after cleanup). */
  async namespaces(): Promise<string[]> {
    return (await listNamespaces()).filter((ns) => ns.startsWith(`${this.tag}-`));
  }

  /**
   * Kills whatever still runs in the run's namespaces (SIGKILL, by PID), deletes them, the links
   * and the bridges, and the owner file. Safe to call twice; never throws.
   */
  readonly cleanup = async (): Promise<void> => {
    if (this.#cleaned) return;
    this.#cleaned = true;
    unregisterCleanup(this.cleanup);
    await removeRun(this.tag, [...this.#namespaces].reverse(), [...this.#links].reverse());
  };
}

// ---- cleanup on signals and uncaught errors ----

const pending = new Set<() => Promise<void>>();
let hooked = false;

async function runAll(): Promise<void> {
  await Promise.all([...pending].map((fn) => fn().catch(() => {})));
}

/**
 * Runs `fn` if the process gets SIGINT/SIGTERM or an uncaught error before it is unregistered;
 * the process then exits (130, 143 or 1).
 */
export function registerCleanup(fn: () => Promise<void>): void {
  pending.add(fn);
  if (hooked) return;
  hooked = true;
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    process.stderr.write(`scale: ${signal}, removing namespaces and processes…\n`);
    void runAll().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => onSignal('SIGINT', 130));
  process.once('SIGTERM', () => onSignal('SIGTERM', 143));
  const onError = (err: unknown) => {
    process.stderr.write(`scale: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    void runAll().finally(() => process.exit(1));
  };
  process.once('uncaughtException', onError);
  process.once('unhandledRejection', onError);
}

/** Forgets `fn` (it ran, or its owner cleaned up by itself). */
export function unregisterCleanup(fn: () => Promise<void>): void {
  pending.delete(fn);
}
