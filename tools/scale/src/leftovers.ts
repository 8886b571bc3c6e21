/**
 * What a run leaves behind (namespaces, links, its owner file, processes, temp folders) and how
 * it is removed: by the run itself ({@link removeRun}) or, after a crash, by
 * {@link cleanupStale} (`--cleanup-stale`), which tells a dead run's leftovers from a live run's
 * by the owner file's PID.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ip, ipQuiet } from './ip.js';

const TAG_RE = /^nrs[0-9a-f]{4}/;
/** One file per live run, named by its tag, holding its owner's PID. */
export const OWNERS_DIR = join(tmpdir(), 'nrelay-scale');

export async function listNamespaces(): Promise<string[]> {
  const out = await ip('netns', 'list').catch(() => '');
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.length > 0);
}

/** PIDs of the processes in namespace `ns`. */
async function pidsIn(ns: string): Promise<number[]> {
  const out = await ip('netns', 'pids', ns).catch(() => '');
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Whether `pid` is still in the process table (Linux). */
const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

/** SIGKILLs `pids` and waits (at most 5 s) until they are gone. */
async function killAll(pids: readonly number[]): Promise<void> {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
  const deadline = Date.now() + 5_000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

export async function removeRun(tag: string, namespaces: string[], links: string[]): Promise<void> {
  for (const ns of namespaces) {
    await killAll(await pidsIn(ns));
    await ipQuiet('netns', 'del', ns);
  }
  // Deleting a namespace deletes its veth ends and so their root-side peers; bridges remain.
  for (const link of links) await ipQuiet('link', 'del', link);
  rmSync(join(OWNERS_DIR, tag), { force: true });
}

/**
 * Removes the leftovers of crashed runs: namespaces, links and owner files whose tag's owner
 * process is gone (a live run's are kept). Returns the tags removed. Postgres clusters are the
 * topology's (see `dropStaleClusters` in postgres.ts).
 */
export async function cleanupStale(): Promise<string[]> {
  const liveTags = new Set<string>();
  let owners: string[] = [];
  try {
    owners = readdirSync(OWNERS_DIR);
  } catch {}
  for (const tag of owners) {
    const pid = Number(readFileSync(join(OWNERS_DIR, tag), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) liveTags.add(tag);
  }
  const stale = (name: string) => {
    const m = TAG_RE.exec(name);
    return m !== null && !liveTags.has(m[0]) ? m[0] : undefined;
  };
  const byTag = new Map<string, { ns: string[]; links: string[] }>();
  const entry = (tag: string) => {
    const e = byTag.get(tag) ?? { ns: [], links: [] };
    byTag.set(tag, e);
    return e;
  };
  for (const ns of await listNamespaces()) {
    const tag = stale(ns);
    if (tag) entry(tag).ns.push(ns);
  }
  for (const m of (await ip('-o', 'link')).matchAll(/^\d+: ([^:@\s]+)/gm)) {
    const tag = stale(m[1]!);
    if (tag) entry(tag).links.push(m[1]!);
  }
  for (const tag of owners) if (!liveTags.has(tag)) entry(tag);
  for (const name of readdirSync(tmpdir())) {
    const tag = stale(name);
    if (tag && name.startsWith(`${tag}-`)) entry(tag);
  }
  for (const [tag, e] of byTag) {
    await removeRun(tag, e.ns, e.links);
    await removeRunFiles(tag);
  }
  return [...byTag.keys()];
}

/**
 * A crashed run's processes outside its namespaces (HAProxy in the root namespace) and its
 * files: whatever runs from or names the run's folders `$TMPDIR/<tag>-*` is killed, then the
 * folders are removed.
 */
async function removeRunFiles(tag: string): Promise<void> {
  const marker = join(tmpdir(), `${tag}-`);
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker)) pids.push(pid);
    } catch {}
  }
  await killAll(pids);
  for (const name of readdirSync(tmpdir()))
    if (name.startsWith(`${tag}-`)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
}

/** True when `tag` belongs to a run whose owner process is gone or that has no owner file. */
export function isStaleTag(tag: string): boolean {
  try {
    const pid = Number(readFileSync(join(OWNERS_DIR, tag), 'utf8').trim());
    return !(pid === process.pid || alive(pid));
  } catch {
    return true;
  }
}
