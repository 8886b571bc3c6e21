#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
import { Args } from './args.js';
import { loopbackDatabaseUrl, loopbackRelayUrl } from './loopback.js';
import { describeMachine } from './machine.js';
import { Progress } from './progress.js';
import { formatTable, jsonReport, type ScenarioResult } from './report.js';
import { FANOUT_DEFAULTS, runFanout } from './scenarios/fanout.js';
import { fileLimitAdvice, IDLE_DEFAULTS, runIdle } from './scenarios/idle.js';
import { INGEST_DEFAULTS, runIngest } from './scenarios/ingest.js';
import { MATCH_DEFAULTS, runMatch } from './scenarios/match.js';
import { READS_DEFAULTS, READS_SHAPES, runReads } from './scenarios/reads.js';
import { REQ_DEFAULTS, REQ_SHAPES, runReq } from './scenarios/req.js';
import { runSeed, SEED_DEFAULTS } from './scenarios/seed.js';
import { runStream, STREAM_DEFAULTS } from './scenarios/stream.js';

const USAGE = `usage: node tools/bench/dist/cli.js <scenario> [options]

scenarios (each bounded by --count and --duration seconds):
  ingest   publishers (--publishers ${INGEST_DEFAULTS.publishers}) keep --inflight ${INGEST_DEFAULTS.inflight} signed EVENTs in flight;
           durable events/s and OK latency (--count ${INGEST_DEFAULTS.count}, --mix notes|realistic)
  req      time to EOSE per filter shape, --clients ${REQ_DEFAULTS.clients} concurrent, --count ${REQ_DEFAULTS.count} queries per shape
           (--shape ${REQ_SHAPES.map((s) => s.name).join('|')}); needs a seeded store
  reads    issue 12: seeds --count ${READS_DEFAULTS.count} kind-1 notes of --authors ${READS_DEFAULTS.authors} (keys from --seed) over WebSocket,
           waits for the relay's own ANALYZE (in --database-url's pg_stat_user_tables, else 2 × --stats-check-seconds
           ${READS_DEFAULTS.statsCheckSeconds}), then shapes ${READS_SHAPES.map(([n]) => n).join(' ')} for --duration ${READS_DEFAULTS.durationSec} s each, --clients ${READS_DEFAULTS.clients} closed loops
  fanout   --subscribers ${FANOUT_DEFAULTS.subscribers} on --sub-url, --mode all|author, publisher at --rate ${FANOUT_DEFAULTS.rate}/s on --url;
           delivery delay, missing and duplicate deliveries (--count ${FANOUT_DEFAULTS.count} events, --authors ${FANOUT_DEFAULTS.authors});
           --baseline <n> first publishes n events before anyone subscribes (OK latency without fan-out)
  idle     --count ${IDLE_DEFAULTS.count} connections with one REQ each; relay RSS per connection with --pid <pid>[,pid…]
  stream   one REQ {limit: --count ${STREAM_DEFAULTS.count}}; events/s until EOSE (the relay caps it at MAX_LIMIT)
  match    in process, no relay: the gateway's subscription index with --baseline ${MATCH_DEFAULTS.baseline} and --count ${MATCH_DEFAULTS.count}
           subscriptions; ns per event matching exactly 10 of them (--probes ${MATCH_DEFAULTS.probes}), and the ratio
  seed     --count ${SEED_DEFAULTS.count} realistic events over WebSocket (--connections, --inflight), or with
           --database-url postgres://…@127.0.0.1/db straight into the relay's tables (--sign for real signatures)

common: --url ws://127.0.0.1:7777  --json out.json  --seed <n> (PRNG)  --quiet (no progress)
Only loopback relays and databases are accepted. For many connections raise the open-file limit:
${fileLimitAdvice(10_000)}.`;

async function main(argv: readonly string[]): Promise<number> {
  const args = Args.parse(argv);
  const scenario = args.positionals[0];
  if (args.bool('help') || scenario === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return scenario === undefined && !args.bool('help') ? 2 : 0;
  }
  const url = loopbackRelayUrl(args.str('url', 'ws://127.0.0.1:7777'));
  const seed = args.int('seed', 1);
  const progress = args.bool('quiet') ? Progress.silent : new Progress();
  const count = (d: number): number => args.int('count', d);
  const duration = (d: number): number => args.int('duration', d);
  const startedAt = new Date();
  let run: () => Promise<ScenarioResult>;
  switch (scenario) {
    case 'ingest':
      run = () =>
        runIngest(
          {
            url,
            count: count(INGEST_DEFAULTS.count),
            durationSec: duration(INGEST_DEFAULTS.durationSec),
            publishers: args.int('publishers', INGEST_DEFAULTS.publishers),
            inflight: args.int('inflight', INGEST_DEFAULTS.inflight),
            authors: args.int('authors', INGEST_DEFAULTS.authors),
            mix: args.choice('mix', ['notes', 'realistic'], INGEST_DEFAULTS.mix),
            seed,
          },
          progress,
        );
      break;
    case 'req':
      run = () =>
        runReq(
          {
            url,
            count: count(REQ_DEFAULTS.count),
            durationSec: duration(REQ_DEFAULTS.durationSec),
            clients: args.int('clients', REQ_DEFAULTS.clients),
            shapes: args.list('shape'),
            seed,
          },
          progress,
        );
      break;
    case 'reads': {
      const databaseUrl = args.str('database-url');
      run = () =>
        runReads(
          {
            ...READS_DEFAULTS,
            url,
            databaseUrl: databaseUrl === undefined ? undefined : loopbackDatabaseUrl(databaseUrl),
            count: count(READS_DEFAULTS.count),
            authors: args.int('authors', READS_DEFAULTS.authors),
            durationSec: duration(READS_DEFAULTS.durationSec),
            clients: args.int('clients', READS_DEFAULTS.clients),
            connections: args.int('connections', READS_DEFAULTS.connections),
            inflight: args.int('inflight', READS_DEFAULTS.inflight),
            statsCheckSeconds: args.int('stats-check-seconds', READS_DEFAULTS.statsCheckSeconds),
            seed,
          },
          progress,
        );
      break;
    }
    case 'fanout':
      run = () =>
        runFanout(
          {
            url,
            subUrl: loopbackRelayUrl(args.str('sub-url', url), '--sub-url'),
            subscribers: args.int('subscribers', FANOUT_DEFAULTS.subscribers),
            mode: args.choice('mode', ['all', 'author'], FANOUT_DEFAULTS.mode),
            authors: args.int('authors', FANOUT_DEFAULTS.authors),
            rate: args.int('rate', FANOUT_DEFAULTS.rate),
            count: count(FANOUT_DEFAULTS.count),
            baseline: args.int0('baseline', FANOUT_DEFAULTS.baseline),
            durationSec: duration(FANOUT_DEFAULTS.durationSec),
            seed,
          },
          progress,
        );
      break;
    case 'idle':
      run = () =>
        runIdle(
          {
            url,
            count: count(IDLE_DEFAULTS.count),
            durationSec: duration(IDLE_DEFAULTS.durationSec),
            pids: args.pids(),
            parallel: args.int('parallel', IDLE_DEFAULTS.parallel),
          },
          progress,
        );
      break;
    case 'stream':
      run = () =>
        runStream(
          { url, count: count(STREAM_DEFAULTS.count), durationSec: duration(STREAM_DEFAULTS.durationSec) },
          progress,
        );
      break;
    case 'match':
      run = () =>
        runMatch(
          {
            baseline: args.int('baseline', MATCH_DEFAULTS.baseline),
            count: count(MATCH_DEFAULTS.count),
            probes: args.int('probes', MATCH_DEFAULTS.probes),
            durationSec: duration(MATCH_DEFAULTS.durationSec),
            seed,
          },
          progress,
        );
      break;
    case 'seed': {
      const databaseUrl = args.str('database-url');
      run = () =>
        runSeed(
          {
            url,
            databaseUrl: databaseUrl === undefined ? undefined : loopbackDatabaseUrl(databaseUrl),
            count: count(SEED_DEFAULTS.count),
            durationSec: duration(SEED_DEFAULTS.durationSec),
            connections: args.int('connections', databaseUrl ? 4 : SEED_DEFAULTS.connections),
            inflight: args.int('inflight', SEED_DEFAULTS.inflight),
            authors: args.int('authors', SEED_DEFAULTS.authors),
            spanDays: args.int('span-days', SEED_DEFAULTS.spanDays),
            sign: args.bool('sign'),
            seed,
          },
          progress,
        );
      break;
    }
    default:
      process.stderr.write(`unknown scenario ${JSON.stringify(scenario)}\n${USAGE}\n`);
      return 2;
  }
  // The scenarios bound themselves; this is the backstop if a relay stops answering mid-phase.
  const watchdogSec = args.int('duration', 3600) * 2 + 600;
  setTimeout(() => {
    process.stderr.write(`bench: still running after ${watchdogSec}s, giving up\n`);
    process.exit(3);
  }, watchdogSec * 1000).unref();
  const result = await run();
  process.stdout.write(formatTable([result]));
  const jsonPath = args.str('json');
  if (jsonPath !== undefined) {
    writeFileSync(
      jsonPath,
      `${JSON.stringify(jsonReport(describeMachine(), startedAt, [result]), null, 2)}\n`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
