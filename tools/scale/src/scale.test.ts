// The short version of the scale harness that runs in CI: a 2-gateway topology in network
// namespaces, a fanout check across both gateways, and cleanup (also after a failed start).
// Needs root, iproute2, postgresql-15, redis-server and haproxy (bash .ci/run installs them).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fig, runBench } from './bench.js';
import { ip } from './ip.js';
import { listClusters } from './postgres.js';
import { CpuProfile } from './profile.js';
import { startTopology, type Topology } from './topology.js';

before(() => {
  // Never skipped: without root the harness cannot build namespaces, and that is a failure.
  assert.equal(process.getuid?.(), 0, 'the scale tests need root (ip netns, pg_createcluster)');
});

/** What of run `tag` still exists: namespaces, links, Postgres clusters, processes naming it. */
async function leftovers(tag: string): Promise<string[]> {
  const found: string[] = [];
  for (const line of (await ip('netns', 'list')).split('\n'))
    if (line.startsWith(`${tag}-`)) found.push(line);
  for (const m of (await ip('-o', 'link')).matchAll(/^\d+: ([^:@\s]+)/gm))
    if (m[1]?.startsWith(tag)) found.push(`link ${m[1]}`);
  if ((await listClusters()).includes(tag)) found.push(`postgres cluster ${tag}`);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const seen = `${readFileSync(`/proc/${name}/cmdline`, 'latin1')}${readFileSync(`/proc/${name}/environ`, 'latin1')}`;
      if (seen.includes(tag))
        found.push(`process ${name}: ${readFileSync(`/proc/${name}/comm`, 'utf8').trim()}`);
    } catch {}
  }
  return found;
}

let topology: Topology | undefined;
after(async () => {
  await topology?.cleanup();
});

test('a 2-gateway topology delivers every event once to 100 subscribers spread over both gateways, then leaves nothing behind', async () => {
  const t = await startTopology({
    gateways: 2,
    ingestWorkers: 1,
    queryServices: 1,
    env: { LOG_LEVEL: 'warn' },
  });
  topology = t;
  // Each service runs in its own namespace, and the PID we hold is the service's (ip netns exec execs in place).
  const pids = [...t.gateways, ...t.ingestWorkers, ...t.queryServices, t.redis].map((s) => s.pid);
  for (const pid of pids) assert.ok(pid !== undefined);
  assert.equal(readFileSync(`/proc/${t.gateways[0]?.pid}/comm`, 'utf8').trim(), 'node');
  assert.equal((await ip('netns', 'identify', String(t.gateways[1]?.pid))).trim(), `${t.tag}-gw2`);

  let perGateway: Promise<number[]> = Promise.resolve([]);
  const profile = await CpuProfile.open(t.redisUrl, () => []);
  try {
    const run = await runBench(
      [
        'fanout',
        ...['--url', t.url, '--sub-url', t.url, '--subscribers', '100', '--mode', 'all'],
        ...['--count', '50', '--rate', '50'],
      ],
      { start: 'subscribing', end: 'fanout publishing' },
      profile,
      () => {},
      (line) => {
        if (!line.startsWith('subscribing:')) return;
        perGateway = Promise.all(
          t.gatewayUrls.map(async (u) => {
            const text = await (await fetch(`${u.replace('ws://', 'http://')}/metrics`)).text();
            return Number(/^nrelay_subscriptions(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? 0);
          }),
        );
      },
    );
    assert.equal(fig(run, 'publisher OK true'), fig(run, 'published'));
    assert.equal(fig(run, 'deliveries'), fig(run, 'published') * 100);
    assert.equal(fig(run, 'missing'), 0);
    assert.equal(fig(run, 'duplicates'), 0);
    assert.equal(fig(run, 'unexpected'), 0);
    const spread = await perGateway;
    assert.equal(spread.length, 2);
    for (const n of spread) assert.ok(n >= 30, `subscriptions per gateway ${spread.join('/')}: not spread`);
    assert.equal(
      spread.reduce((a, b) => a + b, 0),
      100,
    );
  } finally {
    profile.close();
  }

  // A cut back link takes the gateway off Redis and the services but not off its clients.
  const reachRedis = () =>
    ip('netns', 'exec', `${t.tag}-gw1`, 'bash', '-c', `exec 3<>/dev/tcp/${t.hosts.redis.address.back}/6379`);
  await reachRedis();
  await t.cutBackLink(0);
  await assert.rejects(reachRedis);
  const front = await fetch(`${t.gatewayUrls[0]?.replace('ws://', 'http://')}/healthz`);
  assert.equal(front.status, 200);
  await t.restoreBackLink(0);
  await reachRedis();

  await t.cleanup();
  for (const pid of pids) assert.throws(() => process.kill(pid as number, 0), `process ${pid} still runs`);
  assert.deepEqual(await leftovers(t.tag), []);
  assert.deepEqual(await t.network.namespaces(), []);
});

test('a start that fails half-way removes what it created', async () => {
  // An invalid setting: Redis, Postgres and the namespaces are up when the first service refuses it.
  const err = await startTopology({
    gateways: 2,
    ingestWorkers: 1,
    queryServices: 1,
    env: { LOG_LEVEL: 'not-a-level' },
  }).then(
    () => assert.fail('the start should have failed'),
    (e: unknown) => e as Error,
  );
  const tag = /topology (nrs[0-9a-f]{4}) did not start/.exec(err.message)?.[1];
  assert.ok(tag, err.message);
  assert.deepEqual(await leftovers(tag), []);
});

/** A harness process that starts a 1-gateway topology and idles; resolves with it and its tag. */
async function startHarness() {
  const topologyJs = new URL('./topology.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { startTopology } from ${JSON.stringify(topologyJs)};
       const t = await startTopology({ gateways: 1, ingestWorkers: 1, queryServices: 1 });
       console.log('ready', t.tag);
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const tag = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const m = /ready (nrs[0-9a-f]{4})/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`the harness exited with ${code} before it was ready`)));
  });
  return { child, tag, exited };
}

test('SIGTERM to the harness removes its topology before it exits', async () => {
  const { child, tag, exited } = await startHarness();
  assert.notDeepEqual(await leftovers(tag), []);
  child.kill('SIGTERM');
  assert.equal(await exited, 143);
  assert.deepEqual(await leftovers(tag), []);
});

test('--cleanup-stale removes what a killed harness left, and nothing of a live run', async () => {
  const live = await startHarness();
  const crashed = await startHarness();
  try {
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    const left = await leftovers(crashed.tag);
    assert.ok(
      left.some((l) => l.startsWith('process')) && left.some((l) => l.startsWith('postgres')),
      left.join(', '),
    );
    const cli = spawn(
      process.execPath,
      [fileURLToPath(new URL('./cli.js', import.meta.url)), '--cleanup-stale'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    cli.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    assert.equal(await new Promise((resolve) => cli.once('exit', resolve)), 0, err);
    assert.match(err, new RegExp(crashed.tag));
    assert.deepEqual(await leftovers(crashed.tag), []);
    // The live run is untouched: its namespaces and processes are still there.
    assert.ok((await leftovers(live.tag)).length > 0);
    assert.equal((await ip('netns', 'list')).includes(`${live.tag}-gw1`), true);
  } finally {
    live.child.kill('SIGTERM');
    await live.exited;
  }
  assert.deepEqual(await leftovers(live.tag), []);
});
