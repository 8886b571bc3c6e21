// Offline validation of the deployment files: CI has no Docker engine and no cluster, so the
// compose file is checked by docker-compose's own parser and every Kubernetes object (after
// `kubectl kustomize` of each overlay) against the Kubernetes API schemas (kubernetes-models).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = (p) => fileURLToPath(new URL(`../${p}`, import.meta.url));

function run(cmd, args, hint) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    if (err.code === 'ENOENT') assert.fail(`${cmd} is not installed: ${hint}`);
    assert.fail(`${cmd} ${args.join(' ')} failed:\n${err.stderr || err.message}`);
  }
}

async function validateObject(obj) {
  const { apiVersion, kind } = obj;
  // Prometheus Operator kinds against the operator's CRD schemas; the rest against the API's.
  const models = apiVersion.startsWith('monitoring.coreos.com/')
    ? `@kubernetes-models/prometheus-operator/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
  const mod = await import(models).catch(() => undefined);
  assert.ok(mod, `${kind} ${obj.metadata?.name}: no schema for apiVersion ${apiVersion}`);
  const Model = mod[kind];
  assert.ok(Model, `${kind} ${obj.metadata?.name}: unknown kind in ${apiVersion}`);
  new Model(obj).validate();
}

test('docker-compose.yml is a valid compose file with the whole cluster', () => {
  const out = run(
    'docker-compose',
    ['-f', here('docker-compose.yml'), 'config'],
    'apt-get install docker-compose',
  );
  const config = parseAllDocuments(out)[0].toJS();
  for (const service of [
    'postgres',
    'redis',
    'migrate',
    'gateway1',
    'gateway2',
    'haproxy',
    'ingest',
    'query',
    'otel-collector',
    'jaeger',
    'prometheus',
    'grafana',
  ]) {
    assert.ok(config.services[service], `service ${service} is missing`);
  }
  assert.ok(
    config.services.redis.command.join(' ').includes('noeviction'),
    'Redis must not evict queue keys',
  );
  const haproxy = readFileSync(here('haproxy/haproxy.cfg'), 'utf8');
  assert.match(haproxy, /timeout tunnel/, 'HAProxy needs a tunnel timeout for WebSockets');
});

for (const overlay of ['dev', 'prod']) {
  describe(`kubernetes overlay ${overlay}`, () => {
    const objects = () =>
      parseAllDocuments(
        run(
          'kubectl',
          ['kustomize', here(`k8s/overlays/${overlay}`)],
          'apt-get install kubernetes-client (kubectl)',
        ),
      )
        .map((d) => d.toJS())
        .filter(Boolean);

    test('every object validates against the Kubernetes API schema', async () => {
      const all = objects();
      assert.ok(all.length >= 20, `expected the whole stack, got ${all.length} objects`);
      for (const obj of all) await validateObject(obj);
    });

    test('the stack is complete and deployments drain within their grace period', () => {
      const all = objects();
      const byKind = (kind) => all.filter((o) => o.kind === kind).map((o) => o.metadata.name);
      for (const name of ['nrelay-gateway', 'nrelay-ingest', 'nrelay-query']) {
        assert.ok(byKind('Deployment').includes(name), `Deployment ${name}`);
        assert.ok(byKind('HorizontalPodAutoscaler').includes(name), `HPA ${name}`);
        assert.ok(byKind('PodDisruptionBudget').includes(name), `PDB ${name}`);
        assert.ok(byKind('NetworkPolicy').includes(name), `NetworkPolicy ${name}`);
      }
      for (const kind of ['Job', 'Ingress', 'ConfigMap', 'Secret', 'Service', 'Namespace']) {
        assert.ok(byKind(kind).length > 0, `a ${kind}`);
      }
      const config = all.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nrelay-config'));
      const graceMs = Number(config.data.SHUTDOWN_GRACE_MS);
      for (const d of all.filter(
        (o) => o.kind === 'Deployment' && o.metadata.name !== 'nrelay-otel-collector',
      )) {
        const spec = d.spec.template.spec;
        assert.ok(
          spec.terminationGracePeriodSeconds * 1000 > graceMs,
          `${d.metadata.name}: grace period must exceed SHUTDOWN_GRACE_MS`,
        );
        for (const c of spec.containers) {
          assert.ok(c.readinessProbe && c.livenessProbe, `${d.metadata.name}/${c.name}: probes`);
          assert.ok(
            c.resources?.requests && c.resources?.limits,
            `${d.metadata.name}/${c.name}: requests and limits`,
          );
        }
      }
      for (const d of all.filter((o) => o.kind === 'Deployment' && o.metadata.name.startsWith('nrelay-'))) {
        if (d.metadata.name === 'nrelay-otel-collector') continue;
        const spread = d.spec.template.spec.topologySpreadConstraints ?? [];
        const keys = spread.map((c) => c.topologyKey);
        assert.deepEqual(
          keys,
          ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'],
          `${d.metadata.name}: spread`,
        );
        for (const c of spread) {
          assert.deepEqual(
            c.labelSelector.matchLabels,
            d.spec.selector.matchLabels,
            `${d.metadata.name}: spread selects its pods`,
          );
        }
      }
      const gatewayHpa = all.find(
        (o) => o.kind === 'HorizontalPodAutoscaler' && o.metadata.name === 'nrelay-gateway',
      );
      assert.deepEqual(
        gatewayHpa.spec.metrics.map((m) => m.resource?.name ?? m.pods?.metric.name),
        ['cpu', 'nrelay_connections_per_pod'],
        'gateways scale on CPU and on connections per pod',
      );
      const ingress = all.find((o) => o.kind === 'Ingress');
      assert.equal(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout'], '3600');
    });
  });
}

test('prod: a ServiceMonitor per service, each matching its Service and a named port; the alerts', () => {
  const all = parseAllDocuments(run('kubectl', ['kustomize', here('k8s/overlays/prod')], 'kubectl'))
    .map((d) => d.toJS())
    .filter(Boolean);
  for (const name of ['nrelay-gateway', 'nrelay-ingest', 'nrelay-query']) {
    const monitor = all.find((o) => o.kind === 'ServiceMonitor' && o.metadata.name === name);
    assert.ok(monitor, `ServiceMonitor ${name}`);
    const service = all.find((o) => o.kind === 'Service' && o.metadata.name === name);
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) {
      assert.equal(service.metadata.labels?.[k], v, `${name}: the ServiceMonitor selects the Service`);
    }
    for (const e of monitor.spec.endpoints) {
      assert.ok(
        service.spec.ports.some((p) => p.name === e.port),
        `${name}: port ${e.port} exists`,
      );
      assert.equal(e.path, '/metrics');
    }
  }
  const rules = all.find((o) => o.kind === 'PrometheusRule');
  assert.ok(rules.spec.groups.flatMap((g) => g.rules).length >= 20, 'the alerts of docs/operations.md');
});

test('the prometheus-adapter ConfigMap validates and is namespaced for the adapter', async () => {
  const all = parseAllDocuments(run('kubectl', ['kustomize', here('k8s/prometheus-adapter')], 'kubectl'))
    .map((d) => d.toJS())
    .filter(Boolean);
  assert.equal(all.length, 1);
  await validateObject(all[0]);
  assert.equal(all[0].metadata.namespace, 'monitoring');
});

test('a CRD schema rejects a malformed object (the validation is real)', async () => {
  const bad = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'x' } };
  await assert.rejects(
    validateObject({ ...bad, spec: { selector: {}, endpoints: [{ port: 7777 }] } }),
    /endpoints\/0\/port must be string/,
  );
});
