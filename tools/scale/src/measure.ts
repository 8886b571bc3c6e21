import type { LineSink } from '@nrelay/devcluster';
import { type BenchRun, fig, type Phase, runBench } from './bench.js';
import { postmasterPid } from './postgres.js';
import { CpuProfile, type Tracked, windowOf } from './profile.js';
import type { FanoutPoint, IngestPoint, QueryPoint, SweepPlan, SweepResult } from './sweep.js';
import { INGEST_HEALTH_PORT, startTopology, type Topology, type TopologyOptions } from './topology.js';

/** Gateways, ingest workers and query services in the ingest and query sweeps. */
const FIXED_GATEWAYS = 2;

/** Settings of every topology of the sweep (logs at warn: a measurement must not pay for info lines). */
const QUIET = { LOG_LEVEL: 'warn' };

function trackedOf(t: Topology, loadGenerator: () => number | undefined): () => Tracked[] {
  return () => [
    ...t.gateways.map((s) => ({ label: s.name, pid: s.pid })),
    ...t.ingestWorkers.map((s) => ({ label: s.name, pid: s.pid })),
    ...t.queryServices.map((s) => ({ label: s.name, pid: s.pid })),
    { label: 'haproxy', pid: t.haproxy.pid },
    { label: 'postgres', pid: postmasterPid(t.tag), withChildren: true },
    { label: 'load generator', pid: loadGenerator() },
  ];
}

/** Starts a topology, runs one bench scenario on it with CPU sampling, removes it. */
async function onTopology(
  shape: TopologyOptions,
  bench: (t: Topology) => {
    args: string[];
    phase: Phase;
    onStart?: () => void;
    /** Runs after the bench, before the topology is removed (e.g. to read /metrics). */
    after?: () => Promise<void>;
  },
  progress: (line: string) => void,
): Promise<{ run: BenchRun; topology: Topology }> {
  const t0 = performance.now();
  // One retry: a start can fail for reasons outside the sweep (a port taken meanwhile, a
  // package being rebuilt); the failed attempt has removed what it created.
  const topology = await startTopology(shape).catch(async (err: unknown) => {
    progress(`${err instanceof Error ? err.message.split('\n')[0] : String(err)}; retrying once`);
    await new Promise((r) => setTimeout(r, 5000));
    return startTopology(shape);
  });
  progress(
    `topology ${topology.tag}: ${shape.gateways} gateway(s), ${shape.ingestWorkers} ingest, ${shape.queryServices} query up in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  let loadGenerator: number | undefined;
  let profile: CpuProfile | undefined;
  try {
    profile = await CpuProfile.open(
      topology.redisUrl,
      trackedOf(topology, () => loadGenerator),
    );
    const b = bench(topology);
    const run = await runBench(
      b.args,
      b.phase,
      profile,
      (pid) => {
        loadGenerator = pid;
      },
      (line) => {
        if (line.startsWith(b.phase.start)) b.onStart?.();
        progress(`  ${line}`);
      },
    );
    await b.after?.();
    return { run, topology };
  } finally {
    profile?.close();
    await topology.cleanup();
  }
}

/** The sums of Prometheus metrics `names` over all their series on `metricsUrl`; NaN when unreadable. */
async function metricSums(metricsUrl: string, names: readonly string[]): Promise<number[]> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(3000) })).text();
    const lines = text.split('\n');
    return names.map((name) =>
      lines
        .filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0),
    );
  } catch {
    return names.map(() => Number.NaN);
  }
}

/** Sum over `urls` of each metric's ratio `names[2i] / names[2i+1]` (e.g. a histogram's _sum / _count). */
async function meansOver(urls: readonly string[], pairs: ReadonlyArray<[string, string]>): Promise<number[]> {
  const all = await Promise.all(urls.map((u) => metricSums(u, pairs.flat())));
  return pairs.map((_, i) => {
    const num = all.reduce((a, sums) => a + (sums[2 * i] ?? 0), 0);
    const den = all.reduce((a, sums) => a + (sums[2 * i + 1] ?? 0), 0);
    return den > 0 ? num / den : Number.NaN;
  });
}

async function measureFanout(
  n: number,
  plan: SweepPlan,
  log: LineSink | undefined,
  progress: (l: string) => void,
) {
  const count = plan.rate * plan.fanoutSeconds;
  let perGateway: Promise<number[]> = Promise.resolve([]);
  const { run, topology } = await onTopology(
    { gateways: n, ingestWorkers: 1, queryServices: 1, env: QUIET, log },
    (t) => ({
      args: [
        'fanout',
        ...['--url', t.url, '--sub-url', t.url, '--mode', 'author'],
        ...['--subscribers', String(plan.subscribers), '--authors', String(plan.authors)],
        ...['--rate', String(plan.rate), '--count', String(count)],
        ...['--duration', String(plan.fanoutSeconds * 3), '--seed', String(n)],
      ],
      phase: { start: 'subscribing', end: 'fanout publishing' },
      onStart: () => {
        perGateway = Promise.all(
          t.gatewayUrls.map((u) =>
            metricSums(`${u.replace('ws://', 'http://')}/metrics`, ['nrelay_subscriptions']).then(
              ([n]) => n ?? Number.NaN,
            ),
          ),
        );
      },
    }),
    progress,
  );
  const window = windowOf(run.from, run.to);
  const point: FanoutPoint = {
    gateways: n,
    subscribers: plan.subscribers,
    rate: plan.rate,
    events: fig(run, 'published'),
    delayP50: fig(run, 'delivery delay p50'),
    delayP99: fig(run, 'delivery delay p99'),
    deliveries: fig(run, 'deliveries'),
    missing: fig(run, 'missing'),
    duplicates: fig(run, 'duplicates'),
    unexpected: fig(run, 'unexpected'),
    okP50: fig(run, 'publisher OK latency p50'),
    okP99: fig(run, 'publisher OK latency p99'),
    subscriptionsPerGateway: await perGateway,
    gatewayCpu: topology.gateways.map((s) => window.cpu[s.name] ?? Number.NaN),
    window,
    notes: run.notes,
  };
  progress(
    `fanout N=${n}: delay p50 ${point.delayP50.toFixed(1)} ms p99 ${point.delayP99.toFixed(1)} ms, missing ${point.missing}, duplicates ${point.duplicates}, gateway CPU ${point.gatewayCpu.map((c) => c.toFixed(0)).join('/')} %, Redis ${window.redisCpu.toFixed(0)} %`,
  );
  return point;
}

async function measureIngest(
  m: number,
  plan: SweepPlan,
  log: LineSink | undefined,
  progress: (l: string) => void,
) {
  let means: number[] = [];
  const { run } = await onTopology(
    { gateways: FIXED_GATEWAYS, ingestWorkers: m, queryServices: 1, env: QUIET, log },
    (t) => ({
      args: [
        'ingest',
        ...['--url', t.url, '--count', String(plan.ingestCount), '--duration', String(plan.ingestSeconds)],
        ...['--publishers', String(plan.ingestPublishers), '--inflight', String(plan.ingestInflight)],
        ...['--seed', String(m)],
      ],
      phase: { start: 'connecting', end: 'ingest' },
      after: async () => {
        means = await meansOver(
          t.hosts.ingestWorkers.map((h) => `http://${h.address.back}:${INGEST_HEALTH_PORT}/metrics`),
          [
            ['nrelay_store_batch_size_sum', 'nrelay_store_batch_size_count'],
            ['nrelay_store_write_seconds_sum', 'nrelay_store_write_seconds_count'],
            ['nrelay_ingest_queue_wait_seconds_sum', 'nrelay_ingest_queue_wait_seconds_count'],
          ],
        );
      },
    }),
    progress,
  );
  const point: IngestPoint = {
    workers: m,
    eventsPerSec: fig(run, 'durable ingest'),
    okP50: fig(run, 'OK latency p50'),
    okP99: fig(run, 'OK latency p99'),
    accepted: fig(run, 'OK true'),
    unanswered: fig(run, 'unanswered'),
    batchMean: means[0] ?? Number.NaN,
    storeWriteMs: (means[1] ?? Number.NaN) * 1000,
    queueWaitMs: (means[2] ?? Number.NaN) * 1000,
    window: windowOf(run.from, run.to),
    notes: run.notes,
  };
  progress(
    `ingest M=${m}: ${point.eventsPerSec.toFixed(0)} events/s, OK p99 ${point.okP99.toFixed(1)} ms, ${point.batchMean.toFixed(1)} events per store batch, store write ${point.storeWriteMs.toFixed(1)} ms, queue wait ${point.queueWaitMs.toFixed(1)} ms`,
  );
  return point;
}

const SHAPES = ['(a)', '(b)', '(c)', '(d)', '(e)'];

async function measureQuery(
  k: number,
  plan: SweepPlan,
  log: LineSink | undefined,
  progress: (l: string) => void,
) {
  const { run } = await onTopology(
    // The hot window off: every REQ goes to the query services (the figure this sweep is about).
    {
      gateways: FIXED_GATEWAYS,
      ingestWorkers: 1,
      queryServices: k,
      env: { ...QUIET, HOT_WINDOW_BYTES: '0' },
      log,
    },
    (t) => ({
      args: [
        'reads',
        ...['--url', t.url, '--database-url', t.databaseUrl, '--count', String(plan.readsCount)],
        ...['--duration', String(plan.readsSeconds), '--clients', String(plan.readsClients)],
      ],
      phase: { start: 'waiting for the relay’s planner statistics', end: 'req (e)' },
    }),
    progress,
  );
  const rates: Record<string, number> = {};
  const eoseP99: Record<string, number> = {};
  for (const s of SHAPES) {
    rates[s] = fig(run, `${s} rate`);
    eoseP99[s] = fig(run, `${s} EOSE p99`);
  }
  const values = Object.values(rates);
  const point: QueryPoint = {
    services: k,
    rates,
    eoseP99,
    meanRate: values.reduce((a, b) => a + b, 0) / values.length,
    window: windowOf(run.from, run.to),
    notes: run.notes,
  };
  progress(`query K=${k}: ${SHAPES.map((s) => `${s} ${rates[s]?.toFixed(0)}/s`).join(', ')}`);
  return point;
}

/** Runs the three sweeps in turn, each point on a topology of its own. */
export async function runSweep(
  plan: SweepPlan,
  progress: (line: string) => void,
  log?: LineSink,
): Promise<SweepResult> {
  const result: SweepResult = { plan, fanout: [], ingest: [], query: [] };
  for (const n of plan.fanoutGateways) result.fanout.push(await measureFanout(n, plan, log, progress));
  for (const m of plan.ingestWorkers) result.ingest.push(await measureIngest(m, plan, log, progress));
  for (const k of plan.queryServices) result.query.push(await measureQuery(k, plan, log, progress));
  return result;
}
