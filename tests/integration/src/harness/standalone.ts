import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { type RelayProcess, spawnRelay } from './process.js';
import type { RelayUnderTest } from './types.js';

/** Repository root, four levels above this file (tests/integration/dist/harness). */
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const ENTRY = join(REPO_ROOT, 'apps', 'standalone', 'dist', 'main.js');

/** Options for {@link startStandalone}. */
export interface StandaloneOptions {
  /** Extra environment for the relay (its setting names, e.g. `MAX_FILTERS`). */
  env?: Record<string, string>;
  /** Use a fresh database on the local Postgres instead of PGlite. */
  postgres?: boolean;
  /** PGlite only: reuse this data folder; it is left in place on stop. */
  dataDir?: string;
}

type Storage =
  | { kind: 'pglite'; dataDir: string; owned: boolean }
  | { kind: 'postgres'; database: TestDatabase };

/**
 * Starts `apps/standalone/dist/main.js` on 127.0.0.1 with an ephemeral port and empty storage
 * (a temp PGlite folder, or a new Postgres database), and removes that storage on stop.
 */
export async function startStandalone(opts: StandaloneOptions = {}): Promise<RelayUnderTest> {
  if (!existsSync(ENTRY)) {
    throw new Error(`${ENTRY} does not exist: build the relay first (npm run build).`);
  }
  let storage: Storage;
  if (opts.postgres) {
    storage = { kind: 'postgres', database: await createTestDatabase() };
  } else if (opts.dataDir !== undefined) {
    storage = { kind: 'pglite', dataDir: opts.dataDir, owned: false };
  } else {
    storage = { kind: 'pglite', dataDir: await mkdtemp(join(tmpdir(), 'nrelay-it-')), owned: true };
  }
  try {
    return await launch(storage, opts.env ?? {});
  } catch (err) {
    await releaseStorage(storage);
    throw err;
  }
}

async function launch(storage: Storage, env: Record<string, string>): Promise<RelayUnderTest> {
  const base: Record<string, string> = { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' };
  if (storage.kind === 'pglite') base.DATA_DIR = storage.dataDir;
  else base.DATABASE_URL = storage.database.url;
  const proc = await spawnRelay(
    ENTRY,
    { ...base, ...env },
    {
      cwd: REPO_ROOT,
      // A DATABASE_URL inherited from the shell would silently turn a PGlite run into a Postgres one.
      omitEnv: storage.kind === 'pglite' ? ['DATABASE_URL'] : [],
    },
  );
  return handle(proc, storage, env);
}

function handle(proc: RelayProcess, storage: Storage, env: Record<string, string>): RelayUnderTest {
  let state: 'running' | 'stopped' | 'handed-over' = 'running';
  return {
    pid: proc.pid,
    url: proc.url,
    httpUrl: proc.httpUrl,
    logs: () => proc.logs(),
    stop: async () => {
      if (state !== 'running') return;
      state = 'stopped';
      try {
        await proc.stop();
      } finally {
        await releaseStorage(storage);
      }
    },
    restart: async () => {
      if (state !== 'running') throw new Error('restart() on a relay that is no longer running');
      state = 'handed-over';
      try {
        await proc.stop();
      } catch (err) {
        await releaseStorage(storage);
        throw err;
      }
      try {
        return await launch(storage, env);
      } catch (err) {
        await releaseStorage(storage);
        throw err;
      }
    },
  };
}

async function releaseStorage(storage: Storage): Promise<void> {
  if (storage.kind === 'postgres') await storage.database.drop();
  else if (storage.owned) await rm(storage.dataDir, { recursive: true, force: true });
}
