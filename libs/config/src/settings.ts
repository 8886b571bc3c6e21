/**
 * The one table of settings. Every limit the relay enforces is here with its default, a
 * one-line description and, where NIP-11 defines one, the `limitation` key it is advertised
 * under. The README's settings table is generated from this list (see `settingsMarkdown`).
 */

export type SettingType = 'string' | 'int' | 'bool' | 'list' | 'enum';

/** One environment variable the relay reads. */
export interface SettingSpec {
  env: string;
  type: SettingType;
  default: string | number | boolean | string[] | undefined;
  description: string;
  /** NIP-11 `limitation` key this setting is advertised under. */
  nip11?: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  /** Which processes read it; documentation only. */
  scope?: string;
}

export const SETTINGS = [
  { env: 'HOST', type: 'string', default: '127.0.0.1', description: 'Interface the relay listens on.' },
  {
    env: 'PORT',
    type: 'int',
    default: 7777,
    min: 0,
    max: 65535,
    description: 'TCP port for WebSocket, NIP-11 and HTTP.',
  },
  {
    env: 'DATA_DIR',
    type: 'string',
    default: './data',
    description: 'Folder for the embedded PGlite database (used when DATABASE_URL is not set).',
  },
  {
    env: 'DATABASE_URL',
    type: 'string',
    default: undefined,
    description: 'Postgres connection URL; when set the relay uses this server instead of embedded PGlite.',
  },
  {
    env: 'READ_DATABASE_URL',
    type: 'list',
    default: [],
    description:
      'Cluster: Postgres hot-standby replica URL(s), comma-separated; the query service reads REQ/COUNT/NIP-77 from them (round robin) with read-your-writes, writes and access checks stay on DATABASE_URL (empty = off; ADR 0024).',
  },
  {
    env: 'READ_REPLICA_WAIT_MS',
    type: 'int',
    default: 200,
    min: 0,
    max: 10000,
    description:
      'Cluster: how long a query waits for a replica to replay the writes its client was told OK about before it reads the primary instead.',
  },
  {
    env: 'PGLITE_THREAD',
    type: 'bool',
    default: false,
    description:
      'Embedded PGlite runs in a worker thread, so its statements never block the event loop; off by default: on 2 cores it cost ~10 % of ingest (ADR 0022).',
  },
  {
    env: 'DATABASE_POOL_SIZE',
    type: 'int',
    default: 10,
    min: 1,
    max: 500,
    description: 'Postgres connections per process.',
  },
  {
    env: 'LOG_LEVEL',
    type: 'enum',
    default: 'info',
    values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'],
    description: 'pino log level.',
  },
  { env: 'RELAY_NAME', type: 'string', default: 'nrelay', description: 'NIP-11 name.' },
  {
    env: 'RELAY_DESCRIPTION',
    type: 'string',
    default: 'A horizontally scaled Nostr relay.',
    description: 'NIP-11 description.',
  },
  { env: 'RELAY_PUBKEY', type: 'string', default: undefined, description: 'NIP-11 admin pubkey (64 hex).' },
  {
    env: 'RELAY_SELF',
    type: 'string',
    default: undefined,
    description:
      "NIP-11 `self`: the relay's own pubkey (64 hex); unset: the key pair generated for the relay's database at its first migration (kept in `relay_settings`).",
  },
  { env: 'RELAY_CONTACT', type: 'string', default: undefined, description: 'NIP-11 contact.' },
  { env: 'RELAY_ICON', type: 'string', default: undefined, description: 'NIP-11 icon URL.' },
  {
    env: 'MAX_MESSAGE_BYTES',
    type: 'int',
    default: 262144,
    min: 1024,
    nip11: 'max_message_length',
    description:
      'Largest client frame the relay processes; larger frames get OK false / NOTICE and the connection stays open.',
  },
  {
    env: 'MAX_FRAME_BYTES',
    type: 'int',
    default: 4194304,
    min: 1024,
    description:
      'Hard WebSocket frame cap; a frame above it closes the connection with 1009 (never buffered whole).',
  },
  {
    env: 'MAX_SUBSCRIPTIONS',
    type: 'int',
    default: 64,
    min: 1,
    nip11: 'max_subscriptions',
    description: 'Open subscriptions per connection; COUNTs in flight count against it too.',
  },
  {
    env: 'MAX_QUERIES_PER_CONNECTION',
    type: 'int',
    default: 4,
    min: 1,
    max: 1000,
    nip11: 'nrelay_max_queries_per_connection',
    description:
      "Stored queries (REQ stored phases, COUNTs) one connection runs at once; its others wait, served fairly (round robin) with other connections' queries.",
  },
  {
    env: 'QUERY_SLOT_TIMEOUT_MS',
    type: 'int',
    default: 10000,
    min: 100,
    description:
      "How long a REQ or COUNT waits for one of the gateway's query slots taken by other connections before CLOSED error:.",
  },
  {
    env: 'COUNT_CACHE_MS',
    type: 'int',
    default: 1000,
    min: 0,
    max: 600000,
    description:
      'Identical COUNTs (same filters and viewer) share one count in flight and its answer for this long (0 = share in flight only).',
  },
  {
    env: 'MAX_FILTERS',
    type: 'int',
    default: 20,
    min: 1,
    nip11: 'max_filters',
    description: 'Filters per REQ or COUNT.',
  },
  {
    env: 'NEG_ENABLED',
    type: 'bool',
    default: true,
    description:
      'NIP-77 negentropy sync (NEG-OPEN / NEG-MSG / NEG-CLOSE); false answers NEG-OPEN with NEG-ERR and drops 77 from NIP-11.',
  },
  {
    env: 'NEG_MAX_RECORDS',
    type: 'int',
    default: 1000000,
    min: 1,
    max: 16777216,
    nip11: 'nrelay_negentropy_max_records',
    description:
      'Most events one NIP-77 session covers, and all open sessions of a connection together (not capped by MAX_LIMIT); more: NEG-ERR `blocked: too many query results`.',
  },
  {
    env: 'NEG_IDLE_TIMEOUT_MS',
    type: 'int',
    default: 60000,
    min: 100,
    nip11: 'nrelay_negentropy_idle_timeout_ms',
    description:
      'A NIP-77 session without a message for this long is dropped with NEG-ERR `closed: idle timeout`; sessions count against MAX_SUBSCRIPTIONS.',
  },
  {
    env: 'NEG_FRAME_BYTES',
    type: 'int',
    default: 60000,
    min: 4096,
    max: 1048576,
    nip11: 'nrelay_negentropy_frame_bytes',
    description:
      'Largest negentropy message the relay sends, in bytes before hex (twice that in the NEG-MSG frame); the rest waits for the next round.',
  },
  {
    env: 'MAX_LIMIT',
    type: 'int',
    default: 5000,
    min: 1,
    nip11: 'max_limit',
    description: 'Largest `limit` honoured per filter; larger values are capped.',
  },
  {
    env: 'DEFAULT_LIMIT',
    type: 'int',
    default: 500,
    min: 0,
    nip11: 'default_limit',
    description: 'Stored events returned per filter when it has no `limit`.',
  },
  {
    env: 'MAX_SEARCH_LENGTH',
    type: 'int',
    default: 256,
    min: 1,
    max: 4096,
    nip11: 'nrelay_max_search_length',
    description:
      'Characters of a NIP-50 `search`; a longer one is answered CLOSED `invalid:` before any query.',
  },
  {
    env: 'MAX_SEARCH_TERMS',
    type: 'int',
    default: 16,
    min: 1,
    max: 256,
    nip11: 'nrelay_max_search_terms',
    description:
      'Terms (runs of letters and digits) of a NIP-50 `search`; the database walks one tree node per term, recursively.',
  },
  {
    env: 'SEARCH_KINDS',
    type: 'list',
    default: ['0', '1', '30023'],
    description:
      'Kinds whose content is indexed for NIP-50 search (profiles, notes, long-form); `*` for every kind. A search matches only these kinds.',
  },
  {
    env: 'MAX_SUBID_LENGTH',
    type: 'int',
    default: 64,
    min: 1,
    max: 64,
    nip11: 'max_subid_length',
    description: 'Longest subscription id.',
  },
  {
    env: 'MAX_EVENT_TAGS',
    type: 'int',
    default: 2500,
    min: 1,
    nip11: 'max_event_tags',
    description: 'Tags per event.',
  },
  {
    env: 'MAX_CONTENT_LENGTH',
    type: 'int',
    default: 102400,
    min: 1,
    nip11: 'max_content_length',
    description: 'Characters of event content.',
  },
  {
    env: 'CREATED_AT_LOWER_LIMIT',
    type: 'int',
    default: 0,
    min: 0,
    nip11: 'created_at_lower_limit',
    description: 'Refuse events older than this many seconds (0 = no limit).',
  },
  {
    env: 'CREATED_AT_UPPER_LIMIT',
    type: 'int',
    default: 900,
    min: 0,
    nip11: 'created_at_upper_limit',
    description: 'Refuse events more than this many seconds in the future.',
  },
  {
    env: 'MIN_POW_DIFFICULTY',
    type: 'int',
    default: 0,
    min: 0,
    max: 256,
    nip11: 'min_pow_difficulty',
    description: 'NIP-13 leading zero bits required on event ids (0 = off).',
  },
  {
    env: 'EXPIRATION_PURGE_SECONDS',
    type: 'int',
    default: 300,
    min: 1,
    description: 'Interval between purges of NIP-40 expired events.',
  },
  {
    env: 'STATS_CHECK_SECONDS',
    type: 'int',
    default: 10,
    min: 0,
    max: 86400,
    description:
      'How often the process that writes events (standalone, ingest workers) checks table activity and refreshes planner statistics itself (ANALYZE, VACUUM of dead rows); 0 = never, leave it to autovacuum.',
  },
  {
    env: 'STATS_MIN_CHANGES',
    type: 'int',
    default: 1000,
    min: 1,
    description:
      'A table is analyzed once this many rows plus STATS_CHANGE_PERCENT of its rows changed since its last ANALYZE (vacuumed once as many rows are dead).',
  },
  {
    env: 'STATS_CHANGE_PERCENT',
    type: 'int',
    default: 10,
    min: 0,
    max: 100,
    description:
      'The part of the STATS_MIN_CHANGES threshold that grows with the table, in percent of its rows (autovacuum uses 10).',
  },
  {
    env: 'QUERY_PAGE_SIZE',
    type: 'int',
    default: 500,
    min: 10,
    max: 10000,
    description: 'Rows fetched per page while streaming stored events.',
  },
  {
    env: 'QUERY_PAGE_MAX_BYTES',
    type: 'int',
    default: 1048576,
    min: 1024,
    max: 268435456,
    description:
      'Bytes of event JSON per page while streaming stored events (at least one event): what a paused subscription holds.',
  },
  {
    env: 'SEND_HIGH_WATER_BYTES',
    type: 'int',
    default: 1048576,
    min: 1024,
    description: 'Stored-event streaming pauses while a socket has more than this buffered.',
  },
  {
    env: 'SEND_MAX_BUFFERED_BYTES',
    type: 'int',
    default: 8388608,
    min: 1024,
    description:
      'A connection whose outbound buffer stays above this on live traffic, or whose stored-phase live buffers together exceed it, is closed (slow consumer).',
  },
  {
    env: 'STALLED_STREAM_TIMEOUT_MS',
    type: 'int',
    default: 15000,
    min: 100,
    nip11: 'nrelay_stalled_stream_timeout_ms',
    description:
      'A stored-results stream paused over SEND_HIGH_WATER_BYTES this long (the client does not read) aborts its query; the connection is closed as a slow consumer (1008).',
  },
  {
    env: 'RELAY_URL',
    type: 'string',
    default: undefined,
    description:
      'Public ws(s):// URL of the relay; NIP-42 `relay` and NIP-98 `u` tags must name it (loosely). Unset = the URL each client connected to (Host, or X-Forwarded-Host/Proto from TRUSTED_PROXIES): set it on a public relay.',
  },
  {
    env: 'AUTH_WINDOW_SECONDS',
    type: 'int',
    default: 600,
    min: 10,
    description: 'NIP-42 AUTH events must have created_at within this many seconds of now.',
  },
  // ---- access control (docs/access-control.md) ----
  {
    env: 'ACCESS_MODE',
    type: 'enum',
    default: 'open',
    values: ['open', 'auth-read', 'auth-write', 'auth-all', 'allowlist', 'follows'],
    description:
      'Who may read and write: open, auth-read, auth-write, auth-all, allowlist (pubkeys in Postgres), follows (pubkeys the admins follow).',
  },
  {
    env: 'AUTH_CHALLENGE',
    type: 'enum',
    default: 'on-connect',
    values: ['on-connect', 'on-demand'],
    description:
      'When the NIP-42 challenge is sent: on-connect (clients with an auth callback authenticate before their first REQ) or on-demand (with the first auth-required: answer; only on an open relay).',
  },
  {
    env: 'ADMIN_PUBKEYS',
    type: 'list',
    default: [],
    description: 'Hex pubkeys of the relay admins (NIP-86 management; roots of the follows mode).',
  },
  {
    env: 'PRIVILEGED_KINDS',
    type: 'list',
    default: ['4', '13', '14', '15', '1059', '1060'],
    description:
      'Kinds readable only by their author or a p-tagged pubkey, once authenticated (empty = off).',
  },
  {
    env: 'FOLLOWS_REFRESH_SECONDS',
    type: 'int',
    default: 300,
    min: 5,
    description: "follows mode: how often the admins' kind-3 lists are re-read (also on each new one).",
  },
  {
    env: 'IP_ALLOW',
    type: 'list',
    default: [],
    description: 'CIDRs allowed to connect (empty = all); IPv4 and IPv6.',
  },
  {
    env: 'IP_DENY',
    type: 'list',
    default: [],
    description: 'CIDRs refused (checked after IP_ALLOW); NIP-86 blockip adds to it at run time.',
  },
  {
    env: 'TRUSTED_PROXIES',
    type: 'list',
    default: ['127.0.0.1/32', '::1/128'],
    description: 'CIDRs of proxies whose X-Forwarded-For / PROXY protocol header gives the client IP.',
  },
  {
    env: 'PROXY_PROTOCOL',
    type: 'bool',
    default: false,
    description: 'Expect a PROXY protocol v1/v2 header from trusted proxies (HAProxy send-proxy).',
  },
  {
    env: 'NIP98_WINDOW_SECONDS',
    type: 'int',
    default: 60,
    min: 1,
    description:
      'NIP-86 management: NIP-98 authorization events must have created_at within this many seconds of now.',
  },
  {
    env: 'MANAGEMENT_MAX_BODY_BYTES',
    type: 'int',
    default: 65536,
    min: 256,
    description: 'NIP-86 management: largest JSON-RPC request body accepted (larger ones get 413).',
  },
  // ---- rate limits: token buckets, shared through Redis in cluster mode. The per-IP and per-pubkey
  // ones are off (0) by default: until TRUSTED_PROXIES is right every client may appear as the
  // proxy's IP (docs/access-control.md). The per-connection REQ/COUNT limit keys on the
  // connection, not the IP, and is on by default. ----
  {
    env: 'RATE_EVENTS_PER_PUBKEY',
    type: 'int',
    default: 0,
    min: 0,
    description: 'EVENTs per second per author pubkey (refill rate).',
  },
  {
    env: 'BURST_EVENTS_PER_PUBKEY',
    type: 'int',
    default: 100,
    min: 1,
    description: 'Burst of EVENTs per author pubkey.',
  },
  {
    env: 'RATE_EVENTS_PER_IP',
    type: 'int',
    default: 0,
    min: 0,
    description: 'EVENTs per second per client IP; checked before signature verification.',
  },
  {
    env: 'BURST_EVENTS_PER_IP',
    type: 'int',
    default: 200,
    min: 1,
    description: 'Burst of EVENTs per client IP.',
  },
  {
    env: 'RATE_REQS_PER_CONNECTION',
    type: 'int',
    default: 1000,
    min: 0,
    description:
      'REQs and COUNTs per second per connection (0 = off); above what a busy closed-loop client sends, below a flood.',
  },
  {
    env: 'BURST_REQS_PER_CONNECTION',
    type: 'int',
    default: 2000,
    min: 1,
    description: 'Burst of REQs and COUNTs per connection.',
  },
  {
    env: 'RATE_CONNECTIONS_PER_IP',
    type: 'int',
    default: 0,
    min: 0,
    description: 'New WebSocket connections per second per client IP.',
  },
  {
    env: 'BURST_CONNECTIONS_PER_IP',
    type: 'int',
    default: 50,
    min: 1,
    description: 'Burst of new connections per client IP.',
  },
  {
    env: 'SIGNATURE_VERIFIER',
    type: 'enum',
    default: 'auto',
    values: ['auto', 'native', 'wasm', 'noble'],
    description:
      'Schnorr verifier of ingest: auto = native libtorsion addon (bcrypto) when built, else WASM libsecp256k1; noble = pure JS.',
  },
  // ---- extension ----
  {
    env: 'PLUGINS',
    type: 'list',
    default: [],
    description:
      'Module paths (or package names) of plugins adding hooks, comma-separated (docs/plugins.md).',
  },
  // ---- cluster mode (services/gateway, services/ingest, services/query as separate processes) ----
  {
    env: 'REDIS_URL',
    type: 'string',
    default: 'redis://127.0.0.1:6379',
    description: 'Cluster: Redis for the ingest queue, OK replies and fanout.',
  },
  {
    env: 'REDIS_PREFIX',
    type: 'string',
    default: 'nrelay',
    description: 'Cluster: prefix of every Redis key, queue and channel (one per relay cluster).',
  },
  {
    env: 'REDIS_CLUSTER_NODES',
    type: 'list',
    default: [],
    description:
      'Cluster: seed nodes (host:port, comma-separated) of a Redis Cluster to use instead of REDIS_URL: sharded pub/sub, BullMQ under a {REDIS_PREFIX} hash tag (docs/adr/0023).',
  },
  {
    env: 'FANOUT_PARTITIONS',
    type: 'int',
    default: 16,
    min: 1,
    max: 1024,
    description:
      'Redis Cluster only: sharded pub/sub channels the fanout is split into (by author pubkey), spread over the masters; every gateway subscribes to all.',
  },
  {
    env: 'FANOUT_PUBLISH_RETRY_MS',
    type: 'int',
    default: 5000,
    min: 0,
    max: 60000,
    description:
      'Redis Cluster only: how long a failed fanout publish is retried (in order per partition, slot map refreshed in between) so a master failover delays live events instead of losing them; the OK waits meanwhile. 0 = no retry.',
  },
  {
    env: 'INGEST_QUEUE',
    type: 'string',
    default: 'ingest',
    description: 'Cluster: BullMQ queue name for submitted events.',
  },
  {
    env: 'GATEWAY_ID',
    type: 'string',
    default: undefined,
    description: "Cluster: this gateway's id (its OK reply channel); default host name + random suffix.",
  },
  {
    env: 'QUERY_URL',
    type: 'list',
    default: ['http://127.0.0.1:7790'],
    description: 'Cluster: query service base URL(s) the gateway calls, comma-separated (round robin).',
  },
  {
    env: 'QUERY_PORT',
    type: 'int',
    default: 7790,
    min: 0,
    max: 65535,
    description: 'Cluster: port of the query service.',
  },
  {
    env: 'QUERY_SECRET',
    type: 'string',
    default: undefined,
    description:
      'Cluster: shared secret the gateways send to the query service (Authorization: Bearer); both refuse to start without it unless the query service is on loopback.',
  },
  {
    env: 'INGEST_HEALTH_PORT',
    type: 'int',
    default: 7800,
    min: 0,
    max: 65535,
    description: "Cluster: port of the ingest worker's /healthz and /readyz.",
  },
  {
    env: 'INGEST_CONCURRENCY',
    type: 'int',
    default: 64,
    min: 1,
    max: 10000,
    description:
      'Cluster: jobs (each up to INGEST_JOB_BATCH events) one ingest worker processes at once; they share store batches.',
  },
  {
    env: 'INGEST_JOB_BATCH',
    type: 'int',
    default: 256,
    min: 1,
    max: 10000,
    description:
      'Cluster: most EVENTs a gateway puts in one queue job (submits of one event-loop turn travel together).',
  },
  {
    env: 'INGEST_JOB_LINGER_MS',
    type: 'int',
    default: 5,
    min: 0,
    max: 1000,
    description:
      'Cluster: while earlier EVENTs await their OK, a gateway holds new ones this many ms to fill one queue job; an idle gateway sends at once (0 = every event-loop turn).',
  },
  {
    env: 'INGEST_WRITERS',
    type: 'int',
    default: 2,
    min: 1,
    max: 64,
    description:
      'Cluster: store transactions one ingest worker runs at once (fewer means bigger multi-row batches; capped at DATABASE_POOL_SIZE - 1).',
  },
  {
    env: 'INGEST_ATTEMPTS',
    type: 'int',
    default: 7,
    min: 1,
    max: 100,
    description:
      'Cluster: tries per job before a transient failure (e.g. a Postgres restart) is answered with error:; retries back off from 250 ms, doubling (7 tries span ~16 s).',
  },
  {
    env: 'INGEST_REPLY_TIMEOUT_MS',
    type: 'int',
    default: 15000,
    min: 100,
    description:
      'Cluster: how long a gateway waits for an OK before cancelling the job; a cancelled job is answered error: (not stored), one a worker already runs is awaited until INGEST_REPLY_DEADLINE_MS.',
  },
  {
    env: 'INGEST_REPLY_DEADLINE_MS',
    type: 'int',
    default: 60000,
    min: 100,
    description:
      'Cluster: the longest a gateway waits for the OK of an EVENT an ingest worker is running; then it answers "error: … may have been stored" (logged).',
  },
  {
    env: 'INGEST_HEARTBEAT_MS',
    type: 'int',
    default: 1000,
    min: 50,
    description:
      'Cluster: ingest workers that can store refresh an alive key this often (it lives 3x); gateways poll it and refuse EVENTs at once (error:, not stored) while no worker is alive.',
  },
  {
    env: 'INGEST_LOCK_MS',
    type: 'int',
    default: 30000,
    min: 1000,
    description:
      'Cluster: BullMQ job lock and stalled-job check interval of ingest workers; a job of a worker that died runs again within about twice this.',
  },
  {
    env: 'QUERY_TIMEOUT_MS',
    type: 'int',
    default: 5000,
    min: 100,
    description:
      'Cluster: how long a gateway waits to connect to the query service and get its response headers.',
  },
  {
    env: 'HOT_WINDOW_BYTES',
    type: 'int',
    default: 134217728,
    min: 0,
    max: 17179869184,
    description:
      'Bytes of the newest stored events each gateway keeps in memory to answer REQs without the query service (the hot window, ADR 0018); 0 turns it off.',
  },
  {
    env: 'QUERY_MAX_SOCKETS',
    type: 'int',
    default: 64,
    min: 1,
    description: 'Cluster: keep-alive connections from one gateway to the query service.',
  },
  {
    env: 'QUERY_STATEMENT_TIMEOUT_MS',
    type: 'int',
    default: 10000,
    min: 0,
    description:
      'Cluster: Postgres statement_timeout of the query service (0 = none); one page of a stored query never needs long.',
  },
  {
    env: 'FANOUT_HEARTBEAT_MS',
    type: 'int',
    default: 1000,
    min: 0,
    description:
      'Cluster: how often a gateway PINGs its fanout subscriber connection to notice a silently lost link to Redis (not a client limit); 0 turns the watchdog off.',
  },
  {
    env: 'FANOUT_HEARTBEAT_TIMEOUT_MS',
    type: 'int',
    default: 3000,
    min: 100,
    description: 'Cluster: a fanout PING unanswered this long means the gateway has lost its live feed.',
  },
  {
    env: 'FANOUT_LOSS_GRACE_MS',
    type: 'int',
    default: 5000,
    min: 0,
    description:
      'Cluster: once its fanout PINGs have gone unanswered this long on an open connection (a cut link; counted from the first such PING), a gateway reports not ready, refuses upgrades and closes its clients (CLOSED, NOTICE, 1001) so they reconnect to another one. Redis down or restarting (connection refused or closed) takes no gateway out of service.',
  },
  {
    env: 'SHUTDOWN_GRACE_MS',
    type: 'int',
    default: 10000,
    min: 0,
    description: 'How long SIGTERM waits for in-flight work before closing.',
  },
] as const satisfies readonly SettingSpec[];

/** NIPs the relay serves in full, in every mode (NIP-11 `supported_nips`). */
export const SUPPORTED_NIPS: readonly number[] = [1, 2, 9, 11, 13, 40, 42, 45, 50, 62, 70];

/** NIP-11 `software`. */
export const SOFTWARE_URL = 'https://github.com/nrelay/nrelay';
