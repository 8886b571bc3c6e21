import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProgressSink } from './progress.js';
import { SETTLE_DEFAULTS } from './relay-memory.js';
import { type RelayChild, startStandaloneRelay } from './relay-process.js';
import type { ScenarioResult } from './report.js';
import { runFanout } from './scenarios/fanout.js';
import { fileLimitAdvice, idleCapacity, runIdle } from './scenarios/idle.js';
import { runIngest } from './scenarios/ingest.js';
import { runMatch } from './scenarios/match.js';
import { READS_DEFAULTS, runReads } from './scenarios/reads.js';
import { runReq } from './scenarios/req.js';
import { runSeed } from './scenarios/seed.js';
import { runStream } from './scenarios/stream.js';
import { type Announce, announceStoreWrite } from './store-writes.js';

/** Where and how standard.js runs its steps. */
export interface Plan {
  /** Seed, req and stream. */
  url: string;
  /** Reads and ingest: a gateway's own port in a cluster (not a load balancer). */
  gatewayUrl: string;
  pubUrl: string;
  subUrl: string;
  pids: number[];
  databaseUrl: string | undefined;
  /** The cluster's Redis and prefix: a direct seeding is announced there (hot windows re-warm). */
  announce: Announce | undefined;
  /** Also run reads and ingest on an embedded relay started for them. */
  embedded: boolean;
  /** The relays' STATS_CHECK_SECONDS (the embedded relay is started with it). */
  statsCheckSeconds: number;
  quick: boolean;
}

/** One step of the set; its result is reported under `name`. */
export type Step = { name: string; run(p: ProgressSink): Promise<ScenarioResult> };

/** Idle connections: 10,000, or as many as the open-file limits allow (noted). */
async function idleStep(plan: Plan, p: ProgressSink): Promise<ScenarioResult> {
  const wanted = plan.quick ? 20 : 10_000;
  const count = Math.min(wanted, idleCapacity(plan.pids));
  const settle = plan.quick
    ? { ...SETTLE_DEFAULTS, minMs: 200, maxMs: 2000, intervalMs: 200 }
    : SETTLE_DEFAULTS;
  const r = await runIdle(
    { url: plan.subUrl, count, durationSec: 300, pids: plan.pids, parallel: 100, settle },
    p,
  );
  if (count < wanted)
    r.notes.push(`open-file limits allow only ${count} of ${wanted} connections: ${fileLimitAdvice(wanted)}`);
  return r;
}

const SEED = 1;

/** Issue 12's reads on `url`: its data set (tiny with --quick), then shapes (a)–(e). */
function readsStep(plan: Plan, url: string, databaseUrl: string | undefined, p: ProgressSink) {
  return runReads(
    {
      ...READS_DEFAULTS,
      url,
      databaseUrl,
      count: plan.quick ? 500 : READS_DEFAULTS.count,
      authors: plan.quick ? 50 : READS_DEFAULTS.authors,
      durationSec: plan.quick ? 1 : READS_DEFAULTS.durationSec,
      statsCheckSeconds: plan.statsCheckSeconds,
      seed: SEED,
    },
    p,
  );
}

/** 8 publishers × 16 in flight, kind-1 notes signed before the clock starts. */
function ingestStep(url: string, count: number, p: ProgressSink) {
  const opts = { url, count, durationSec: 60, publishers: 8, inflight: 16, authors: 1000, seed: SEED };
  return runIngest({ ...opts, mix: 'notes' }, p);
}

/** The steps on the relay under test (a cluster's load balancer and gateways). */
export function steps(plan: Plan): Step[] {
  const q = (full: number, quick: number): number => (plan.quick ? quick : full);
  const { url, pubUrl, subUrl, databaseUrl } = plan;
  const fanout = { url: pubUrl, subUrl, rate: 200, durationSec: 30, seed: SEED } as const;
  return [
    // First, on a gateway that has done nothing yet, so its baseline memory is steady.
    { name: 'idle', run: (p) => idleStep(plan, p) },
    {
      name: 'match',
      run: (p) =>
        runMatch(
          { baseline: 1000, count: q(100_000, 5000), probes: 50, durationSec: q(10, 1), seed: SEED },
          p,
        ),
    },
    {
      name: 'seed',
      run: async (p) => {
        const result = await runSeed(
          {
            url,
            databaseUrl,
            count: databaseUrl ? q(1_000_000, 500) : q(20_000, 500),
            durationSec: 1800,
            connections: databaseUrl ? 4 : 8,
            inflight: 64,
            authors: q(3000, 100),
            spanDays: 30,
            sign: false,
            seed: SEED,
          },
          p,
        );
        // Straight into Postgres is past the fanout: the gateways' hot windows must be told.
        if (databaseUrl !== undefined && plan.announce !== undefined) {
          const gateways = [plan.gatewayUrl, pubUrl, subUrl];
          result.notes.push(await announceStoreWrite(plan.announce, gateways, p));
        } else if (databaseUrl !== undefined) {
          result.notes.push(
            'seeded straight into the database with no --redis-url to announce it: an nrelay cluster’s hot windows do not know these events',
          );
        }
        return result;
      },
    },
    {
      name: 'req',
      run: (p) => runReq({ url, count: q(2000, 20), durationSec: 20, clients: 4, shapes: [], seed: SEED }, p),
    },
    { name: 'stream', run: (p) => runStream({ url, count: q(5000, 200), durationSec: 60 }, p) },
    // Before ingest and fan-out, whose notes (created now) would otherwise top shapes (a) and (e).
    { name: 'reads', run: (p) => readsStep(plan, plan.gatewayUrl, databaseUrl, p) },
    { name: 'ingest', run: (p) => ingestStep(plan.gatewayUrl, q(40_000, 200), p) },
    {
      name: 'fanout all',
      run: (p) =>
        runFanout(
          {
            ...fanout,
            subscribers: q(500, 10),
            mode: 'all',
            authors: 10,
            count: q(2000, 20),
            baseline: q(1000, 10),
          },
          p,
        ),
    },
    {
      name: 'fanout author',
      run: (p) =>
        runFanout(
          {
            ...fanout,
            subscribers: q(500, 10),
            mode: 'author',
            authors: q(50, 5),
            count: q(2000, 20),
            baseline: 0,
          },
          p,
        ),
    },
  ];
}

/**
 * A standalone relay (`apps/standalone/dist/main.js`, PGlite) on a fresh DATA_DIR under a temp
 * dir and its own port, started by the first embedded step that asks for it.
 */
export class EmbeddedRelay {
  private started: Promise<{ relay: RelayChild; dir: string }> | undefined;

  constructor(private readonly statsCheckSeconds: number) {}

  /** The relay's URL, starting it on first use. */
  async url(): Promise<string> {
    this.started ??= (async () => {
      const dir = await mkdtemp(join(tmpdir(), 'nrelay-bench-embedded-'));
      const env = { PORT: '0', DATA_DIR: dir, STATS_CHECK_SECONDS: String(this.statsCheckSeconds) };
      const relay = await startStandaloneRelay(env).catch(async (err: unknown) => {
        await rm(dir, { recursive: true, force: true });
        throw err;
      });
      return { relay, dir };
    })();
    return (await this.started).relay.url;
  }

  /** Stops the relay (SIGTERM to its pid) and removes its data directory, if it was started. */
  async stop(): Promise<void> {
    const started = await this.started?.catch(() => undefined);
    this.started = undefined;
    if (started === undefined) return;
    await started.relay.stop();
    await rm(started.dir, { recursive: true, force: true });
  }
}

/** Reads and ingest again on an embedded relay (ingest: 20,000 notes, fewer than the cluster's 40,000). */
export function embeddedSteps(plan: Plan, relay: EmbeddedRelay): Step[] {
  return [
    { name: 'reads embedded', run: async (p) => readsStep(plan, await relay.url(), undefined, p) },
    {
      name: 'ingest embedded',
      run: async (p) => ingestStep(await relay.url(), plan.quick ? 200 : 20_000, p),
    },
  ];
}
