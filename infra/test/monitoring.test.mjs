// The monitoring files against the real thing: every PromQL expression of the PrometheusRule,
// the compose Prometheus's rule file, the Grafana dashboard and the prometheus-adapter rules
// parses with Prometheus's grammar and names only metrics that a real cluster (gateway, ingest
// worker, query service on the machine's Postgres and Redis) serves on /metrics after some
// traffic. A renamed metric or a typo in a dashboard query fails here, not on an operator's
// empty graph.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startClusterRelay } from '@nrelay/integration-tests';
import { newKeys, RawClient, signEvent } from '@nrelay/testkit';
import { parse } from 'yaml';
import { expandAdapterQuery, metricNames, sampleNames } from './promql.mjs';

const here = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));
const readYaml = (p) => parse(readFileSync(here(p), 'utf8'));

const rule = readYaml('k8s/components/monitoring/prometheus-rule.yaml');
const dashboard = JSON.parse(readFileSync(here('grafana/dashboards/nrelay.json'), 'utf8'));
const adapter = parse(readYaml('k8s/prometheus-adapter/adapter-config.yaml').data['config.yaml']);

/** Series Prometheus itself adds to every scrape target: no service exports them. */
const PROMETHEUS_SYNTHETIC = new Set(['up']);

/**
 * Counters a service creates on the first failure only (an OTel counter has no sample until
 * its first add), so a healthy cluster's /metrics cannot show them. Each is checked against the
 * source that declares it instead: [series, file declaring it, the name it is created under].
 */
const FAILURE_ONLY = [
  ['nrelay_sql_errors_total', 'libs/telemetry/src/sql.ts', 'nrelay_sql_errors'],
  ['nrelay_fanout_publish_failures_total', 'services/ingest/src', 'nrelay_fanout_publish_failures'],
];

/**
 * Series only a query service with read replicas (READ_DATABASE_URL, ADR 0024) exports, checked
 * against their source like FAILURE_ONLY; tests/integration/src/cluster-read-replica.test.ts
 * finds them on the /metrics of a cluster with a streaming replica.
 */
const REPLICA_ONLY = [
  ['nrelay_query_reads_total', 'services/query/src', 'nrelay_query_reads'],
  ['nrelay_query_primary_reads_total', 'services/query/src', 'nrelay_query_primary_reads'],
  ['nrelay_query_replica_lag_bytes', 'services/query/src', 'nrelay_query_replica_lag_bytes'],
  ['nrelay_query_replica_lag_seconds', 'services/query/src', 'nrelay_query_replica_lag_seconds'],
  ['nrelay_query_replica_healthy', 'services/query/src', 'nrelay_query_replica_healthy'],
];

/** Every expression to check, with where it comes from. */
function expressions() {
  const all = [];
  for (const group of rule.spec.groups) {
    for (const r of group.rules) all.push({ where: `PrometheusRule ${r.alert}`, expr: r.expr });
  }
  for (const panel of dashboard.panels) {
    for (const t of panel.targets ?? []) {
      // Grafana fills its range macros before sending; any duration parses the same way.
      const expr = t.expr.replaceAll('$__rate_interval', '5m').replaceAll('$__interval', '1m');
      all.push({ where: `dashboard panel "${panel.title}" ${t.refId}`, expr });
    }
  }
  for (const r of [...adapter.rules, ...adapter.externalRules]) {
    const series = r.name.matches.replace(/^\^|\$$/g, '');
    all.push({ where: `adapter seriesQuery ${r.name.as}`, expr: r.seriesQuery });
    all.push({
      where: `adapter metricsQuery ${r.name.as}`,
      expr: expandAdapterQuery(r.metricsQuery, series),
    });
  }
  return all;
}

describe('PromQL of the alerts, the dashboard and the adapter', () => {
  test('every expression parses and selects at least one metric', () => {
    const all = expressions();
    assert.ok(all.length > 50, `expected the whole set, got ${all.length}`);
    for (const { where, expr } of all) metricNames(expr, where);
  });

  test('a broken expression is caught (the parser is not lenient)', () => {
    assert.throws(() => metricNames('sum(rate(nrelay_connections[5m])', 'probe'), /syntax error/);
    assert.throws(() => metricNames('nrelay_connections >', 'probe'), /syntax error/);
  });

  test("compose's Prometheus evaluates exactly the PrometheusRule's groups", () => {
    assert.deepEqual(readYaml('prometheus/alerts.yml').groups, rule.spec.groups);
  });

  test('the HPAs ask for the metrics the adapter serves', () => {
    const hpas = readFileSync(here('k8s/base/autoscaling.yaml'), 'utf8');
    assert.ok(adapter.rules.some((r) => r.name.as === 'nrelay_connections_per_pod'));
    assert.match(hpas, /type: Pods\n\s+pods:\n\s+metric:\n\s+name: nrelay_connections_per_pod/);
    assert.ok(adapter.externalRules.some((r) => r.name.as === 'nrelay_ingest_queue_depth'));
    assert.match(hpas, /type: External\n\s+external:\n\s+metric:\n\s+name: nrelay_ingest_queue_depth/);
  });
});

describe('the Grafana dashboard', () => {
  test("type-checks against Grafana's own Dashboard type (@grafana/schema)", () => {
    // The JSON pasted into a `satisfies` expression: literal types and excess-property checks
    // apply, so an unknown or misspelt field, a wrong type or a missing required one fails.
    const dir = mkdtempSync(here('.grafana-check-'));
    try {
      writeFileSync(
        `${dir}/check.ts`,
        `import type { Dashboard } from '@grafana/schema';\nexport const d = ${JSON.stringify(dashboard)} satisfies Dashboard;\n`,
      );
      writeFileSync(
        `${dir}/tsconfig.json`,
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            skipLibCheck: true,
          },
          files: ['check.ts'],
        }),
      );
      const tsc = fileURLToPath(new URL('../../node_modules/.bin/tsc', import.meta.url));
      try {
        execFileSync(tsc, ['-p', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (err) {
        assert.fail(`the dashboard does not fit @grafana/schema's Dashboard:\n${err.stdout}${err.stderr}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('panels: unique ids, inside the 24-column grid, every query on the datasource variable', () => {
    assert.equal(dashboard.uid, 'nrelay-overview');
    const variable = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.equal(variable?.type, 'datasource');
    assert.equal(variable.query, 'prometheus');
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
    for (const p of dashboard.panels) {
      assert.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: inside the grid`);
      if (p.type === 'row') continue;
      assert.ok(p.description, `${p.title}: says what it shows`);
      assert.ok(p.targets.length > 0, `${p.title}: has queries`);
      for (const t of p.targets) {
        assert.deepEqual(t.datasource, { type: 'prometheus', uid: `\${datasource}` }, p.title);
        assert.ok(t.refId && t.expr, `${p.title}: refId and expr`);
      }
    }
    const titles = dashboard.panels.map((p) => p.title.toLowerCase()).join('\n');
    for (const topic of [
      'connections',
      'req/s',
      'eose',
      'event/s',
      'fanout',
      'queue',
      'hot window',
      'sql',
      'redis',
      'slow-consumer',
    ]) {
      assert.ok(titles.includes(topic), `a panel on ${topic}`);
    }
  });

  test('compose provisions the datasource and the dashboard folder Grafana loads it from', () => {
    const ds = readYaml('grafana/provisioning/datasources/prometheus.yaml').datasources[0];
    assert.equal(ds.type, 'prometheus');
    assert.equal(ds.url, 'http://prometheus:9090');
    const provider = readYaml('grafana/provisioning/dashboards/nrelay.yaml').providers[0];
    const compose = readYaml('docker-compose.yml');
    assert.ok(
      compose.services.grafana.volumes.includes(`./grafana/dashboards:${provider.options.path}:ro`),
      'the provider reads the mounted dashboards folder',
    );
    const scrape = readYaml('prometheus/prometheus.yml').scrape_configs.map((c) => c.job_name);
    assert.deepEqual(
      scrape,
      ['nrelay-gateway', 'nrelay-ingest', 'nrelay-query'],
      "the ServiceMonitors' job names",
    );
  });
});

describe('every metric named is one the services export', () => {
  let cluster;
  const pages = [];
  before(
    async () => {
      cluster = await startClusterRelay({ gateways: 1 });
      const keys = newKeys();
      const sub = await RawClient.open(cluster.gatewayUrls[0]);
      const pub = await RawClient.open(cluster.gatewayUrls[0]);
      try {
        // Traffic that records into every histogram: a live delivery (fanout delay), a REQ
        // answered from the hot window and one the window never answers (a search: query
        // service), a stored EVENT (queue wait, store write and batch size), and a refused REQ.
        const live = await sub.query([{ authors: [keys.pk] }], { subId: 'live', keepOpen: true });
        assert.equal(live.end, 'EOSE');
        const from = sub.mark();
        const event = signEvent(keys, { content: 'metrics probe' });
        assert.equal((await pub.publish(event)).ok, true);
        await sub.nextEvent('live', event.id, from, 10_000);
        assert.equal((await pub.query([{ ids: [event.id] }], { subId: 'stored' })).end, 'EOSE');
        assert.equal((await pub.query([{ search: 'metrics', limit: 5 }], { subId: 'search' })).end, 'EOSE');
        // A CLOSED (the gateway exports a reason's counter from its first answer on).
        assert.equal((await pub.query([{ kinds: 'one' }], { subId: 'bad' })).end, 'CLOSED');
      } finally {
        sub.close();
        pub.close();
      }
      const c = cluster.cluster;
      for (const service of [...c.gateways, ...c.ingestWorkers, ...c.queryServices]) {
        const res = await fetch(service.readyUrl.replace(/\/readyz$/, '/metrics'));
        assert.equal(res.status, 200, `${service.name} /metrics`);
        pages.push(await res.text());
      }
    },
    { timeout: 120_000 },
  );
  after(() => cluster?.stop(), { timeout: 60_000 });

  test('each name is on a real /metrics page, or declared in the source as failure-only', () => {
    const exported = new Set(pages.flatMap((p) => [...sampleNames(p)]));
    assert.ok(exported.has('nrelay_ingest_queue_depth'), 'the ingest page was scraped');
    const failureOnly = new Map(
      [...FAILURE_ONLY, ...REPLICA_ONLY].map(([series, file, name]) => [series, { file, name }]),
    );
    const unknown = [];
    for (const { where, expr } of expressions()) {
      for (const name of metricNames(expr, where)) {
        if (exported.has(name) || PROMETHEUS_SYNTHETIC.has(name)) continue;
        const declared = failureOnly.get(name);
        if (declared !== undefined) {
          const src = execFileSync('grep', ['-rl', `'${declared.name}'`, here(`../${declared.file}`)], {
            encoding: 'utf8',
          });
          assert.ok(src.length > 0, `${name}: declared in ${declared.file}`);
          continue;
        }
        unknown.push(`${where}: ${name}`);
      }
    }
    assert.deepEqual(unknown, [], 'metrics no service exports');
  });
});
