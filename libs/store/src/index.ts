/**
 * @nrelay/store: the relay's event store on Kysely (Postgres dialect), running on a real
 * Postgres server or on embedded PGlite with the same SQL.
 */

export { bulkSaveEvents } from './bulk-save.js';
export {
  type DataDirLock,
  DataDirLockedError,
  LOCK_FILE,
  type LockOwner,
  lockDataDir,
} from './data-dir-lock.js';
export {
  createDatabase,
  type DatabaseOptions,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_POOL_SIZE,
  type StoreDatabase,
} from './database.js';
export { createEventStore, type EventStore, type EventStoreOptions } from './event-store.js';
export { followedPubkeys } from './follows.js';
export { indexKey, MAX_INDEXED_VALUE_LENGTH } from './index-key.js';
export type { ItemsOptions } from './items.js';
export { openServiceDatabase, type StoreLogger, scheduleExpirationPurge } from './lifecycle.js';
export {
  type AccessSnapshotRows,
  allowKind,
  allowPubkey,
  banEvent,
  blockIp,
  createManagementStore,
  disallowKind,
  type LevelChange,
  listBannedEvents,
  listBlockedIps,
  listKindRules,
  listPubkeyLevels,
  loadAccessSnapshot,
  type ManagementStore,
  type PubkeyLevel,
  type PubkeyLevelEntry,
  type RelayInfoKey,
  removePubkeyLevel,
  setPubkeyLevel,
  setRelayInfo,
  unbanEvent,
  unblockIp,
} from './management.js';
export { MigrationError, type MigrationProgress, migrateToLatest, storeMigrations } from './migrate.js';
export { PGlitePool } from './pglite-pool.js';
export { quarantineEvent, quarantinePubkey, type RestoreScope, restoreQuarantined } from './quarantine.js';
export { QueryInputError } from './query-input.js';
export { createReadinessProbe, type ReadinessProbe } from './readiness.js';
export { DEFAULT_SAVE_SETTINGS, type SaveSettings } from './save.js';
export type * from './schema.js';
export { isInputError, isRetryable, sqlState } from './sqlstate.js';
export {
  autovacuumIsOff,
  keepStatisticsFresh,
  type MaintenancePass,
  maintainStatistics,
  type StatisticsPolicy,
} from './statistics.js';
export {
  type CountOptions,
  DEFAULT_PAGE_MAX_BYTES,
  DEFAULT_PAGE_SIZE,
  type QueryOptions,
  type SaveOptions,
  type SaveOutcome,
  type SaveStatus,
  type StoredEvent,
  type StoreViewer,
} from './types.js';
export { readReplayPosition, readWalPosition } from './wal-position.js';
