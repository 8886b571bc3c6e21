import { ConfigError, loadConfig } from '@nrelay/config';
import { Command, InvalidArgumentError, Option } from 'commander';
import pino from 'pino';
import { runExport } from './export.js';
import { runImport } from './import.js';
import { runMirror } from './mirror.js';
import { CliError } from './relay-store.js';
import { formatSummary } from './summary.js';
import { runSync, type SyncDirection } from './sync.js';

// `nrelay <command>`: the operator's command line. The only file of the CLI that reads the
// environment: the same settings as the relay (DATABASE_URL, else DATA_DIR; REDIS_URL...).

/** Exit status of a run stopped by SIGINT/SIGTERM (128 + SIGINT). */
const EXIT_INTERRUPTED = 130;

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

/** Aborts on the first SIGINT/SIGTERM; a second one says the current batch is still finishing. */
function stopSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: string) => {
    if (controller.signal.aborted) {
      process.stderr.write(
        `${name}: still finishing the events already handed over (each batch commits whole)\n`,
      );
      return;
    }
    process.stderr.write(`${name}: stopping after the events already read\n`);
    controller.abort(new Error(`stopped by ${name}`));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  return controller.signal;
}

const logger = pino(
  { name: 'nrelay', level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn' },
  pino.destination(2),
);
const config = () => loadConfig(process.env);
const program = new Command('nrelay')
  .description(
    'Operate an nrelay store (the relay’s own settings: DATABASE_URL, else DATA_DIR; REDIS_URL in a cluster)',
  )
  .showHelpAfterError();

program
  .command('export')
  .description('write the stored events as JSONL (one event per line, exactly as stored), newest first')
  .option('--filter <json>', 'a NIP-01 filter, e.g. \'{"kinds":[0,3]}\'')
  .option('--since <seconds>', 'only events created at or after this time', integer)
  .option('--until <seconds>', 'only events created at or before this time', integer)
  .option('--out <file>', 'output file; .gz or .zst compresses; stdout when absent')
  .action(async (opts: { filter?: string; since?: number; until?: number; out?: string }) => {
    const signal = stopSignal();
    const { written, interrupted } = await runExport(config(), { ...opts, signal });
    const where = opts.out ? ` to ${opts.out}` : '';
    process.stderr.write(
      `exported ${written} events${where}${interrupted ? ' (interrupted: incomplete)' : ''}\n`,
    );
    if (interrupted) process.exitCode = EXIT_INTERRUPTED;
  });

program
  .command('import')
  .description(
    'store the events of a JSONL file (.gz/.zst by name, - for stdin) through the relay’s ingest rules',
  )
  .argument('<file>', 'JSONL file, or - for stdin')
  .option('--publish', 'publish stored events to live subscribers (needs REDIS_URL: a cluster)', false)
  .option('--json', 'print the summary as JSON on stdout', false)
  .option('--no-verify', 'trust the signatures (only for your own backups); ids are still checked')
  .option('--batch <events>', 'most events per store transaction (default 2000; 256 with --no-bulk)', integer)
  .option('--no-bulk', 'write every event as the relay does (no bulk path for regular events)')
  .option(
    '--writers <n>',
    'store transactions at once on Postgres (default 1 in bulk: outcomes in file order; INGEST_WRITERS with --no-bulk)',
    integer,
  )
  .option('--window <events>', 'events in flight at once', integer, 4096)
  .option('--max-line-bytes <bytes>', 'longest line accepted (default: MAX_MESSAGE_BYTES)', integer)
  .action(
    async (
      file: string,
      opts: {
        publish: boolean;
        json: boolean;
        verify: boolean;
        bulk: boolean;
        writers?: number;
        batch?: number;
        window: number;
        maxLineBytes?: number;
      },
    ) => {
      const settings = config();
      const signal = stopSignal();
      const summary = await runImport(settings, logger, {
        file,
        publish: opts.publish,
        verify: opts.verify,
        bulk: opts.bulk,
        ...(opts.writers === undefined ? {} : { writers: Math.max(1, opts.writers) }),
        ...(opts.batch === undefined ? {} : { batch: Math.max(1, opts.batch) }),
        window: Math.max(1, opts.window),
        maxLineBytes: opts.maxLineBytes ?? settings.MAX_MESSAGE_BYTES,
        signal,
        report: (message) => process.stderr.write(`${message}\n`),
      });
      process.stderr.write(formatSummary(`import ${file}`, summary));
      if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
      if (summary.failed > 0) process.exitCode = 1;
      else if (summary.interrupted) process.exitCode = EXIT_INTERRUPTED;
    },
  );

const report = (message: string) => process.stderr.write(`${message}\n`);

program
  .command('sync')
  .description('reconcile with another relay over NIP-77: fetch what we lack, upload what they lack')
  .argument('<url>', 'the other relay, ws:// or wss://')
  .option('--filter <json>', 'only the events of this NIP-01 filter (default: all)')
  .addOption(
    new Option('--dir <direction>', 'down: only fetch; up: only upload; both')
      .choices(['down', 'up', 'both'])
      .default('both'),
  )
  .option(
    '--no-fallback',
    'fail when the other relay has no NIP-77 (default: download with REQs since our newest event)',
  )
  .option('--publish', 'publish fetched events to live subscribers (needs REDIS_URL)', false)
  .option('--frame-bytes <bytes>', 'largest negentropy message we send', integer, 60_000)
  .option('--json', 'print the result as JSON on stdout', false)
  .action(
    async (
      url: string,
      opts: {
        filter?: string;
        dir: SyncDirection;
        fallback: boolean;
        publish: boolean;
        frameBytes: number;
        json: boolean;
      },
    ) => {
      const signal = stopSignal();
      const result = await runSync(config(), logger, {
        url,
        direction: opts.dir,
        fallback: opts.fallback,
        publish: opts.publish,
        frameBytes: Math.max(4096, opts.frameBytes),
        signal,
        report,
        ...(opts.filter === undefined ? {} : { filter: opts.filter }),
      });
      const how =
        result.method === 'nip77'
          ? `NIP-77 in ${result.rounds} round(s): we lacked ${result.need}, they lacked ${result.have}`
          : 'REQ download (no NIP-77)';
      report(`sync ${url}: ${how}`);
      process.stderr.write(formatSummary('  fetched', result.down));
      if (result.up) {
        const u = result.up;
        report(
          `  uploaded: sent ${u.sent}, accepted ${u.accepted}, duplicate ${u.duplicate}, rejected ${u.rejected}, unanswered ${u.unanswered}`,
        );
        for (const [reason, count] of Object.entries(u.reasons).slice(0, 10))
          report(`    ${count} × ${reason}`);
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      if (result.down.failed > 0) process.exitCode = 1;
      else if (result.down.interrupted) process.exitCode = EXIT_INTERRUPTED;
    },
  );

program
  .command('mirror')
  .description('follow another relay’s live stream and store what arrives, until SIGINT/SIGTERM')
  .argument('<url>', 'the other relay, ws:// or wss://')
  .option('--filter <json>', 'only the events of this NIP-01 filter (default: all)')
  .option('--publish', 'publish mirrored events to live subscribers (needs REDIS_URL)', false)
  .option('--json', 'print the summary as JSON on stdout at the end', false)
  .action(async (url: string, opts: { filter?: string; publish: boolean; json: boolean }) => {
    const signal = stopSignal();
    const summary = await runMirror(config(), logger, {
      url,
      publish: opts.publish,
      signal,
      report,
      ...(opts.filter === undefined ? {} : { filter: opts.filter }),
    });
    process.stderr.write(formatSummary(`mirror ${url}`, summary));
    if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    process.exitCode = summary.failed > 0 ? 1 : 0;
  });

// A reader that went away (`nrelay export | head`) ends the export quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(0);
});
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const plain = err instanceof ConfigError || err instanceof CliError;
  process.stderr.write(`nrelay: ${plain ? err.message : String(err instanceof Error ? err.stack : err)}\n`);
  process.exitCode = err instanceof ConfigError ? 2 : 1;
}
// Open handles (a Redis reconnect timer, a PGlite worker) must not keep a finished command alive.
process.exit(process.exitCode ?? 0);
