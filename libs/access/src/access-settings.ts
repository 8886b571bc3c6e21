/**
 * The access-control settings parsed once at start: CIDR lists, admin pubkeys, privileged
 * kinds. Every bad value is reported together in one `ConfigError`, so the relay refuses to
 * start with a clear message instead of misbehaving at run time.
 */
import { type Config, ConfigError, parseKindList } from '@nrelay/config';
import { type CidrList, parseCidrList } from './cidr.js';
import type { AccessMode } from './policy.js';

/** Parsed ACCESS_MODE, ADMIN_PUBKEYS, PRIVILEGED_KINDS, IP_ALLOW, IP_DENY, TRUSTED_PROXIES, PROXY_PROTOCOL. */
export interface AccessSettings {
  readonly mode: AccessMode;
  readonly admins: ReadonlySet<string>;
  /** Empty = privileged events are off. */
  readonly privilegedKinds: ReadonlySet<number>;
  /** Empty = every address may connect. */
  readonly ipAllow: CidrList;
  readonly ipDeny: CidrList;
  readonly trustedProxies: CidrList;
  readonly proxyProtocol: boolean;
}

const HEX_PUBKEY = /^[0-9a-f]{64}$/;

/** The config fields this module reads. */
export type AccessConfig = Pick<
  Config,
  | 'ACCESS_MODE'
  | 'ADMIN_PUBKEYS'
  | 'PRIVILEGED_KINDS'
  | 'IP_ALLOW'
  | 'IP_DENY'
  | 'TRUSTED_PROXIES'
  | 'PROXY_PROTOCOL'
>;

const MODES: readonly AccessMode[] = ['open', 'auth-read', 'auth-write', 'auth-all', 'allowlist', 'follows'];

function modeOf(value: string, problems: string[]): AccessMode {
  if ((MODES as readonly string[]).includes(value)) return value as AccessMode;
  problems.push(`ACCESS_MODE: "${value}" is not one of ${MODES.join(', ')}`);
  return 'open';
}

function cidrsOf(entries: readonly string[], setting: string, problems: string[]): CidrList {
  try {
    return parseCidrList(entries, setting);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
    return parseCidrList([]);
  }
}

/** PRIVILEGED_KINDS as numbers; throws a ConfigError naming every bad entry. */
export function privilegedKindsOf(config: Pick<Config, 'PRIVILEGED_KINDS'>): ReadonlySet<number> {
  const problems: string[] = [];
  const kinds = parseKindList('PRIVILEGED_KINDS', config.PRIVILEGED_KINDS, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return kinds;
}

/** Parses and validates every access setting; throws one ConfigError listing all problems. */
export function accessSettingsOf(config: AccessConfig): AccessSettings {
  const problems: string[] = [];
  const admins = new Set<string>();
  for (const pubkey of config.ADMIN_PUBKEYS) {
    if (HEX_PUBKEY.test(pubkey)) admins.add(pubkey);
    else problems.push(`ADMIN_PUBKEYS: "${pubkey}" is not a 64-character lowercase hex pubkey`);
  }
  const settings: AccessSettings = {
    mode: modeOf(config.ACCESS_MODE, problems),
    admins,
    privilegedKinds: parseKindList('PRIVILEGED_KINDS', config.PRIVILEGED_KINDS, problems),
    ipAllow: cidrsOf(config.IP_ALLOW, 'IP_ALLOW', problems),
    ipDeny: cidrsOf(config.IP_DENY, 'IP_DENY', problems),
    trustedProxies: cidrsOf(config.TRUSTED_PROXIES, 'TRUSTED_PROXIES', problems),
    proxyProtocol: config.PROXY_PROTOCOL,
  };
  // follows mode without roots would follow nobody and refuse everyone: say so at start.
  if (settings.mode === 'follows' && admins.size === 0) {
    problems.push('ACCESS_MODE=follows needs at least one ADMIN_PUBKEYS entry (the follows are theirs)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return settings;
}
