import {
  type AccessConfig,
  type AccessMode,
  type AccessPolicy,
  type AccessState,
  accessSettingsOf,
  authChallengeTiming,
  canRead,
  canWrite,
  checkProtectedEvent,
  ipInList,
  onlyPrivilegedKinds,
  REASONS,
} from '@nrelay/access';
import type { Config } from '@nrelay/config';
import type { AuthChallengeTiming } from '../context.js';
import type { GatewayHooks } from '../hooks.js';

/** Answers to refused connections (sent as the body of an HTTP 403). */
export const IP_REASONS = {
  notAllowed: 'blocked: connections from this address are not allowed (IP_ALLOW)',
  denied: 'blocked: this address is blocked on this relay',
} as const;

/** The settings the access hooks read: those of the access policy. */
export type AccessHookConfig = AccessConfig;

/**
 * The built-in access policy as ordinary gateway hooks (docs/access-control.md):
 * - `rejectConnection`: IP_ALLOW (when set), IP_DENY and NIP-86 blocked IPs → HTTP 403;
 * - `rejectEvent`: `canWrite` (mode, bans, kinds), then NIP-70 protected events;
 * - `rejectReq` (REQ and COUNT, once per message): `canRead`, then a request that can only
 *   match privileged kinds from an unauthenticated connection → `auth-required:`.
 * `state` must be a live view: it is read on every decision, never copied. Invalid settings
 * throw a ConfigError here, i.e. at start.
 */
export function createAccessHooks(config: AccessHookConfig, state: AccessState): Partial<GatewayHooks> {
  const settings = accessSettingsOf(config);
  const policy: AccessPolicy = { mode: settings.mode, admins: settings.admins, state };
  const { ipAllow, ipDeny, privilegedKinds } = settings;
  const allowListed = ipAllow.entries.length > 0;
  return {
    rejectConnection: [
      (_req, ip) => {
        if (allowListed && !ipInList(ip, ipAllow)) return IP_REASONS.notAllowed;
        if (ipInList(ip, ipDeny) || state.isIpBlocked(ip)) return IP_REASONS.denied;
        return undefined;
      },
    ],
    rejectEvent: [(event, conn) => canWrite(policy, event, conn) ?? checkProtectedEvent(event, conn)],
    rejectReq: [
      (filters, conn) => {
        const refused = canRead(policy, conn);
        if (refused !== undefined) return refused;
        if (conn.authedPubkeys.size === 0 && onlyPrivilegedKinds(filters, privilegedKinds)) {
          return REASONS.privilegedOnly;
        }
        return undefined;
      },
    ],
  };
}

/** When the NIP-42 challenge goes out: AUTH_CHALLENGE, always on connect when the mode asks for auth. */
export function accessAuthChallenge(
  config: Pick<Config, 'ACCESS_MODE' | 'AUTH_CHALLENGE'>,
): AuthChallengeTiming {
  // loadConfig has already checked both against their enums' values.
  return authChallengeTiming(config.ACCESS_MODE as AccessMode, config.AUTH_CHALLENGE as AuthChallengeTiming);
}
