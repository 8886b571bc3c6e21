/**
 * NIP-86 management composed from settings: the in-memory access state, the HTTP route (only
 * when ADMIN_PUBKEYS is set), the ingest hooks and the advertised NIPs. Composition roots
 * pass the store-backed backend and the announcement bus (in-process or Redis).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Config } from '@nrelay/config';
import type { AccessChangeBus } from './access-changes.js';
import { parseCidrList } from './cidr.js';
import {
  type ManagementIngestHooks,
  managementIngestHooks,
  supportedNipsWithManagement,
} from './management-hooks.js';
import { createManagementRoute, type ManagementLogger } from './management-route.js';
import type { ManagementBackend } from './management-rpc.js';
import { type AccessSource, loadAccessState, type ManagedAccessState } from './management-state.js';
import { createPublicOriginResolver } from './public-url.js';

/** The settings management reads. */
export type ManagementConfig = Pick<
  Config,
  | 'ACCESS_MODE'
  | 'ADMIN_PUBKEYS'
  | 'FOLLOWS_REFRESH_SECONDS'
  | 'RELAY_URL'
  | 'TRUSTED_PROXIES'
  | 'NIP98_WINDOW_SECONDS'
  | 'MANAGEMENT_MAX_BODY_BYTES'
>;

/** Management, ready to be wired into a gateway and an ingest pipeline. */
export interface Management {
  /** The state to hand to the access policy (and to the gateway's `relayInfo`). */
  state: ManagedAccessState;
  /** The NIP-86 route for the gateway's `httpRoutes`; undefined when ADMIN_PUBKEYS is empty. */
  route: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  /** The ingest side: refuses banned pubkeys/events and disallowed kinds; announces admin kind 3s. */
  ingestHooks: ManagementIngestHooks;
  /** `base` plus 86 when management is on. */
  supportedNips(base: readonly number[]): number[];
  /** Stops reloading (the bus and the backend belong to the caller). */
  close(): void;
}

/** ADMIN_PUBKEYS, lower-cased. */
export function adminPubkeys(config: ManagementConfig): string[] {
  return config.ADMIN_PUBKEYS.map((a) => a.trim().toLowerCase()).filter((a) => a !== '');
}

/**
 * Loads the state from `backend` (rejecting when Postgres cannot be read) and builds the rest.
 * In follows mode the follow set is the kind-3 `p` tags of the admins.
 */
export async function startManagement(
  config: ManagementConfig,
  deps: { backend: ManagementBackend & AccessSource; changes: AccessChangeBus; logger: ManagementLogger },
): Promise<Management> {
  const admins = adminPubkeys(config);
  const followsOf = config.ACCESS_MODE === 'follows' ? admins : [];
  const state = await loadAccessState({
    source: deps.backend,
    changes: deps.changes,
    followsOf,
    refreshIntervalMs: config.FOLLOWS_REFRESH_SECONDS * 1000,
    logger: deps.logger,
  });
  const route =
    admins.length === 0
      ? undefined
      : createManagementRoute({
          backend: deps.backend,
          state,
          changes: deps.changes,
          admins,
          relayUrl: config.RELAY_URL,
          publicOrigin: createPublicOriginResolver(
            config.RELAY_URL,
            parseCidrList(config.TRUSTED_PROXIES, 'TRUSTED_PROXIES'),
          ),
          logger: deps.logger,
          windowSeconds: config.NIP98_WINDOW_SECONDS,
          maxBodyBytes: config.MANAGEMENT_MAX_BODY_BYTES,
        });
  const ingestHooks = managementIngestHooks(state, {
    admins,
    followsOf,
    changes: deps.changes,
    onAnnounceError: (err) => deps.logger.warn({ err }, 'announcing a new admin follow list failed'),
  });
  return {
    state,
    route,
    ingestHooks,
    supportedNips: (base) => supportedNipsWithManagement(base, admins),
    close: () => state.close(),
  };
}
