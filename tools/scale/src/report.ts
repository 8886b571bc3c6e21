import { basename } from 'node:path';
import type { Machine } from './machine.js';
import type { Window } from './profile.js';
import type { FanoutPoint, SweepResult } from './sweep.js';

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '-');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** All CPU of a window: the processes' plus Redis's, % of one core. */
function totalCpu(w: Window): number {
  return Object.values(w.cpu).reduce((a, b) => a + b, 0) + w.redisCpu;
}

/** The processes that used the most CPU in a window, e.g. `postgres 61 %, ingest-1 48 %`. */
function topConsumers(w: Window, n = 4): string {
  const all = [...Object.entries(w.cpu), ['redis', w.redisCpu] as [string, number]];
  return all
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, v]) => `${label} ${f0(v)} %`)
    .join(', ');
}

/** CPU by process, grouped (gateways, ingest, query summed). */
function profileCells(w: Window): string[] {
  const sum = (prefix: string) =>
    Object.entries(w.cpu)
      .filter(([l]) => l.startsWith(prefix))
      .reduce((a, [, v]) => a + v, 0);
  return [
    f0(sum('gateway')),
    f0(sum('ingest')),
    f0(sum('query')),
    f0(w.redisCpu),
    f0(sum('postgres')),
    f0(sum('haproxy')),
    f0(sum('load generator')),
    f0(totalCpu(w)),
    f0(Math.max(0, w.machineBusy - totalCpu(w))),
  ];
}
const PROFILE_HEAD = [
  'gateways',
  'ingest',
  'query',
  'Redis',
  'Postgres',
  'HAProxy',
  'load gen.',
  'total',
  'rest of machine',
];

/** Each gateway's main-thread run-queue wait, ms per second. */
function gatewayWaits(w: Window): number[] {
  return Object.entries(w.wait)
    .filter(([l]) => l.startsWith('gateway'))
    .map(([, v]) => v);
}

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Least-squares fit of per-gateway CPU = fixed + shared / N over the fanout points: `fixed` is
 * what every gateway pays whatever N (each fanout message it receives and matches), `shared`
 * what is spread over the gateways (the deliveries to its connections).
 */
function fitPerGateway(points: readonly FanoutPoint[]): { fixed: number; shared: number } | undefined {
  if (points.length < 2) return undefined;
  const xs = points.map((p) => 1 / p.gateways);
  const ys = points.map((p) => mean(p.gatewayCpu));
  const mx = mean(xs);
  const my = mean(ys);
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (sxx === 0) return undefined;
  const shared = xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] ?? 0) - my), 0) / sxx;
  return { fixed: my - shared * mx, shared };
}

function fanoutSection(r: SweepResult): string {
  const p = r.plan;
  const rows = r.fanout.map((x) => [
    String(x.gateways),
    x.subscriptionsPerGateway.map(f0).join(' / '),
    f1(x.delayP50),
    f1(x.delayP99),
    `${x.missing} / ${x.duplicates}`,
    `${f1(x.okP50)} / ${f1(x.okP99)}`,
    x.gatewayCpu.map(f0).join(' / '),
    f1(x.gatewayCpu.reduce((a, b) => a + b, 0)),
    f0(mean(gatewayWaits(x.window))),
    f1(x.window.redisCpu),
    f0(x.window.publishPerSec),
    f0(x.window.publishPerSec * x.gateways),
  ]);
  const lines = [
    `## Fanout: N gateways, the same ${p.subscribers} subscribers, ${p.rate} events/s`,
    '',
    `The load generator holds ${p.subscribers} WebSocket connections with one subscription each, opened through HAProxy (least connections, so spread evenly over the gateways), each following one of ${p.authors} authors; one publisher sends ${p.rate} signed kind-1 events/s for ${p.fanoutSeconds} s, round robin over the authors, so every event matches ${Math.round(p.subscribers / p.authors)} subscribers (${Math.round((p.rate * p.subscribers) / p.authors)} deliveries/s in all). Delay = publish send → delivery, both on the load generator's clock. CPU is % of one core over the publishing phase (/proc utime+stime; Redis from INFO cpu); the run-queue wait is how long a gateway's main thread was ready to run but waited for a core, in ms per second (/proc/<pid>/schedstat, mean over the gateways). PUBLISH/s counts every PUBLISH/SPUBLISH Redis executed (the fanout messages and the OK replies to the submitting gateway); Redis → gateways = PUBLISH/s × N, as every gateway subscribes to the fanout channels.`,
    '',
    table(
      [
        'N',
        'subscriptions per gateway',
        'delay p50 ms',
        'delay p99 ms',
        'missing / duplicates',
        'publisher OK p50 / p99 ms',
        'CPU of each gateway %',
        'all gateways %',
        'gateway run-queue wait ms/s',
        'Redis CPU %',
        'PUBLISH/s',
        'Redis → gateways msg/s',
      ],
      rows,
    ),
    '',
    "One gateway also holds the publisher's connection (parsing its EVENTs, submitting them to ingest, relaying the OKs): that is the busiest gateway of each row.",
    '',
    'CPU by process over the same phase (% of one core; the machine has 200 %; "rest of machine" is what else ran on it, from /proc/stat):',
    '',
    table(
      ['N', ...PROFILE_HEAD],
      r.fanout.map((x) => [String(x.gateways), ...profileCells(x.window)]),
    ),
  ];
  return lines.join('\n');
}

function ingestSection(r: SweepResult): string {
  const p = r.plan;
  return [
    `## Ingest: M workers (2 gateways)`,
    '',
    `tools/bench \`ingest\` through HAProxy: ${p.ingestPublishers} publishers keep ${p.ingestInflight} EVENTs each in flight, ${p.ingestCount} signed kind-1 notes (or ${p.ingestSeconds} s). Events/s counts OK true, i.e. stored durably in Postgres. Batch size, store write time and queue wait are means from the workers' /metrics (\`nrelay_store_batch_size\`, \`nrelay_store_write_seconds\`, \`nrelay_ingest_queue_wait_seconds\`).`,
    '',
    table(
      [
        'M',
        'events/s',
        'OK p50 ms',
        'OK p99 ms',
        'OK true',
        'unanswered',
        'events per store batch',
        'store write ms',
        'queue wait ms',
        ...PROFILE_HEAD.map((h) => `${h} %`),
      ],
      r.ingest.map((x) => [
        String(x.workers),
        f0(x.eventsPerSec),
        f1(x.okP50),
        f1(x.okP99),
        String(x.accepted),
        String(x.unanswered),
        f1(x.batchMean),
        f1(x.storeWriteMs),
        f1(x.queueWaitMs),
        ...profileCells(x.window),
      ]),
    ),
  ].join('\n');
}

function querySection(r: SweepResult): string {
  const p = r.plan;
  const shapes = Object.keys(r.query[0]?.rates ?? {});
  return [
    `## Queries: K query services (2 gateways, hot window off)`,
    '',
    `tools/bench \`reads\` through HAProxy with \`HOT_WINDOW_BYTES=0\` on every service, so each REQ goes to a query service (with the hot window on, the gateways would answer these from memory and the query services would not be measured): ${p.readsCount} notes seeded, then each filter shape for ${p.readsSeconds} s with ${p.readsClients} closed-loop clients. REQ/s per shape (EOSE p99 in ms in brackets):`,
    '',
    table(
      ['K', ...shapes, 'mean REQ/s', ...PROFILE_HEAD.map((h) => `${h} %`)],
      r.query.map((x) => [
        String(x.services),
        ...shapes.map((s) => `${f0(x.rates[s] ?? Number.NaN)} (${f1(x.eoseP99[s] ?? Number.NaN)})`),
        f0(x.meanRate),
        ...profileCells(x.window),
      ]),
    ),
  ].join('\n');
}

/** Sentences read off the figures: what scaled, what did not, and which process used the CPU. */
function findings(r: SweepResult, cores: number): string[] {
  const out: string[] = [];
  const budget = cores * 100;
  // The whole machine's busy time decides: other work on it takes cores from the topology too.
  const saturated = (w: Window) => w.machineBusy > budget * 0.85;
  const fo = r.fanout;
  const first = fo[0];
  const last = fo[fo.length - 1];
  if (first && last && fo.length > 1) {
    const bad = fo.filter((x) => x.missing > 0 || x.duplicates > 0 || x.unexpected > 0);
    out.push(
      bad.length === 0
        ? `Every subscriber got every matching event exactly once at every N (0 missing, 0 duplicates).`
        : `Deliveries were lost or doubled at N = ${bad.map((x) => x.gateways).join(', ')}: see the table.`,
    );
    out.push(
      `Fanout delay p99 went from ${f1(first.delayP99)} ms at N = ${first.gateways} to ${f1(last.delayP99)} ms at N = ${last.gateways} (p50 ${f1(first.delayP50)} → ${f1(last.delayP50)} ms).`,
    );
    const fit = fitPerGateway(fo);
    if (fit)
      out.push(
        `CPU per gateway ≈ ${f1(fit.fixed)} % + ${f1(fit.shared)} % / N (least squares over the points): the second term is the connection-bound work (the deliveries), spread over the gateways as 1/N; the first is what every gateway pays for every event whatever N (receiving each fanout message from Redis and matching it), which is why the sum over all gateways grows with N.`,
      );
    const w1 = mean(gatewayWaits(first.window));
    const wN = mean(gatewayWaits(last.window));
    out.push(
      `The gateways' main threads waited ${f1(w1)} ms per second for a core at N = ${first.gateways} and ${f1(wN)} ms at N = ${last.gateways}${wN > w1 * 1.3 ? `: every gateway wakes up for every event, so more gateway processes on the same ${cores} cores queue for them${last.delayP50 > first.delayP50 * 1.3 ? ', which is where the added delay comes from (on separate hosts each gateway would have its own cores)' : ''}` : ''}.`,
    );
    out.push(
      `Redis: ${f1(first.window.redisCpu)} % of a core at N = ${first.gateways}, ${f1(last.window.redisCpu)} % at N = ${last.gateways}; its output grows with N (${f0(first.window.publishPerSec * first.gateways)} → ${f0(last.window.publishPerSec * last.gateways)} messages/s to the gateways).`,
    );
    const busy = fo.filter((x) => saturated(x.window));
    const worst = busy.reduce<FanoutPoint | undefined>(
      (a, x) => (a === undefined || x.window.machineBusy > a.window.machineBusy ? x : a),
      undefined,
    );
    if (worst)
      out.push(
        `The machine was saturated at N = ${busy.map((x) => x.gateways).join(', ')} (${busy.map((x) => f0(x.window.machineBusy)).join(' / ')} % of ${budget} % busy; at N = ${worst.gateways} the topology's biggest users were ${topConsumers(worst.window)}, the rest of the machine ${f0(Math.max(0, worst.window.machineBusy - totalCpu(worst.window)))} %): delays there include waiting for a core.`,
      );
  }
  const ing = r.ingest;
  const i1 = ing[0];
  const iN = ing[ing.length - 1];
  if (i1 && iN && ing.length > 1) {
    const speedup = iN.eventsPerSec / i1.eventsPerSec;
    // Little's law: a closed loop of `inflight` EVENTs at OK latency L cannot exceed inflight / L.
    const inflight = r.plan.ingestPublishers * r.plan.ingestInflight;
    const bound = (inflight / iN.okP50) * 1000;
    const why = saturated(iN.window)
      ? ` The machine was saturated (${f0(iN.window.machineBusy)} % of ${budget} % busy): the workers share the same ${cores} cores with Postgres, the gateways and the load generator, so more workers only split the same CPU.`
      : ` The machine had CPU to spare, so the bound is the path of one event, not CPU: ${inflight} EVENTs in flight at an OK p50 of ${f1(iN.okP50)} ms allow at most ~${f0(bound)} events/s (Little's law), and more workers do not shorten an event's path (gateway → queue → worker → Postgres → reply).`;
    out.push(
      `Ingest: ${f0(i1.eventsPerSec)} events/s with ${i1.workers} worker, ${f0(iN.eventsPerSec)} with ${iN.workers} (× ${speedup.toFixed(2)}). CPU at M = ${iN.workers}: ${topConsumers(iN.window)} (${f0(totalCpu(iN.window))} % of ${budget} %).${speedup < iN.workers * 0.7 ? why : ''} Each store transaction carried ${f1(i1.batchMean)} events at M = ${i1.workers} and ${f1(iN.batchMean)} at M = ${iN.workers} (a write took ${f1(i1.storeWriteMs)} → ${f1(iN.storeWriteMs)} ms, a job waited ${f1(i1.queueWaitMs)} → ${f1(iN.queueWaitMs)} ms in the queue)${iN.batchMean < i1.batchMean * 0.7 ? ': more workers split the same stream into smaller batches, so Postgres does more transactions for the same events' : ''}.`,
    );
  }
  const q = r.query;
  const q1 = q[0];
  const qK = q[q.length - 1];
  if (q1 && qK && q.length > 1) {
    const speedup = qK.meanRate / q1.meanRate;
    const why = saturated(qK.window)
      ? ` The machine was saturated (${f0(qK.window.machineBusy)} % of ${budget} % busy), so a second query service only splits the same CPU with Postgres and the gateways.`
      : ` The machine had CPU to spare: the ${r.plan.readsClients} closed-loop clients wait for each EOSE, so the rate is bound by one query's latency (gateway → query service → Postgres → back), which a second service does not shorten.`;
    out.push(
      `Queries: mean ${f0(q1.meanRate)} REQ/s with ${q1.services} query service, ${f0(qK.meanRate)} with ${qK.services} (× ${speedup.toFixed(2)}). CPU at K = ${qK.services}: ${topConsumers(qK.window)} (${f0(totalCpu(qK.window))} % of ${budget} %).${speedup < qK.services * 0.7 ? why : ''}`,
    );
  }
  return out;
}

/** The docs/scaling.md text. */
export function renderMarkdown(o: {
  mode: string;
  started: Date;
  minutes: number;
  machine: Machine;
  result: SweepResult;
  svgPath: string;
  jsonPath: string;
}): string {
  const m = o.machine;
  return `# Scaling: many hosts on one machine

Generated by \`npm run scale\`${o.mode === 'quick' ? ' -- --quick' : ''} (tools/scale, issue 14) on ${o.started.toISOString().slice(0, 16).replace('T', ' ')} UTC in ${o.minutes.toFixed(1)} min; do not edit by hand. Raw figures: [${basename(o.jsonPath)}](${basename(o.jsonPath)}).

Every gateway, ingest worker, query service and Redis runs in a Linux network namespace of its own ("host", with its own address and veth links to two bridges: a front one toward HAProxy and the clients, a back one toward the services; ADR 0025); Postgres (a cluster of the run's own, fsync off) and HAProxy run in the root namespace, and so does the load generator (tools/bench), which reaches the relay through HAProxy on 127.0.0.1. Each point of a sweep runs on a freshly started topology.

**Machine:** ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Linux ${m.kernel}, Node.js ${m.node}, Redis ${m.redis}, PostgreSQL ${m.postgres}, HAProxy ${m.haproxy}; load average at the start ${m.loadAverage}.

**What the profile means for these figures:** all the "hosts" share the same ${m.cpus} cores, with Postgres, Redis, HAProxy and the load generator. Namespaces separate the network, not the CPU: adding a gateway adds a process competing for the same cores, so no throughput here can grow with the number of hosts the way it would on separate machines. What the sweep can show is *cost*: how delay, the CPU of each gateway and Redis's load change with N at a fixed load, and where the CPU goes. A per-gateway cost falling as 1/N means that work spreads over hosts and would scale on real ones; a cost every gateway pays whatever N is the limit of adding gateways.

![scaling plot](${basename(o.svgPath)})

## Findings

${findings(o.result, m.cpus)
  .map((l) => `- ${l}`)
  .join('\n')}

${fanoutSection(o.result)}

${ingestSection(o.result)}

${querySection(o.result)}
`;
}
