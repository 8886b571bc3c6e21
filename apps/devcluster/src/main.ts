import { startedByNpm, watchParent } from '@nrelay/runtime';
import { startCluster } from './cluster.js';

// `npm run cluster`: the whole cluster on this machine. The only file here that reads the environment.
const env = process.env;
const int = (name: string, fallback: number): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`${name}=${JSON.stringify(raw)} must be a non-negative integer\n`);
    process.exit(2);
  }
  return n;
};

const port = int('PORT', 7777);
const options = {
  host: env.HOST || '127.0.0.1',
  port,
  databaseUrl: env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/nrelay',
  redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
  redisClusterNodes: (env.REDIS_CLUSTER_NODES ?? '')
    .split(',')
    .map((node) => node.trim())
    .filter((node) => node !== ''),
  redisPrefix: env.REDIS_PREFIX || 'nrelay',
  gateways: Math.max(1, int('GATEWAYS', 2)),
  ingestWorkers: Math.max(1, int('INGEST_WORKERS', 1)),
  queryServices: Math.max(1, int('QUERY_SERVICES', 1)),
  queryPort: int('QUERY_PORT', 7790),
  ingestHealthPort: int('INGEST_HEALTH_PORT', 7800),
  haproxy: env.HAPROXY !== '0',
  sink: (service: string, line: string) => process.stdout.write(`[${service}] ${line}\n`),
};

const cluster = await startCluster(options).catch((err: unknown) => {
  process.stderr.write(`cluster failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  process.stdout.write('stopping the cluster…\n');
  await cluster.stop();
  process.exit(code);
};
for (const s of [
  ...cluster.gateways,
  ...cluster.ingestWorkers,
  ...cluster.queryServices,
  ...(cluster.haproxy ? [cluster.haproxy] : []),
]) {
  s.onUnexpectedExit = (code, signal) => {
    // Ctrl-C reaches every process of the terminal's group: services stopping on it are expected.
    if (stopping) return;
    process.stderr.write(
      `${s.name} exited unexpectedly (code ${code}, signal ${signal}); stopping the cluster\n`,
    );
    void stop(1);
  };
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// `kill -TERM <npm pid>` of `npm run cluster`: npm does not pass the signal on, so the
// launcher notices its parent is gone and stops everything it started.
if (startedByNpm(env)) watchParent(() => void stop(0));

process.stdout.write(
  [
    '',
    'nrelay cluster is up:',
    `  relay (HAProxy):   ${cluster.url}`,
    ...cluster.gatewayUrls.map((u, i) => `  gateway ${i + 1}:        ${u}`),
    ...cluster.queryServices.map(
      (_, i) => `  query ${i + 1}:          http://${options.host}:${options.queryPort + i}`,
    ),
    `  database:          ${options.databaseUrl}`,
    `  redis:             ${options.redisClusterNodes.length > 0 ? `cluster ${options.redisClusterNodes.join(',')}` : options.redisUrl} (prefix ${options.redisPrefix})`,
    'Ctrl-C stops everything.',
    '',
  ].join('\n'),
);
