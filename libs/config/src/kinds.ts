import { type Config, ConfigError } from './load.js';

const KIND = /^\d{1,5}$/;

/**
 * A list setting of event kinds as numbers; every entry that is not a kind (0-65535) adds a
 * problem naming `setting`, for the caller to throw together with its others.
 */
export function parseKindList(setting: string, entries: readonly string[], problems: string[]): Set<number> {
  const kinds = new Set<number>();
  for (const entry of entries) {
    if (!KIND.test(entry) || Number(entry) > 65535) {
      problems.push(`${setting}: "${entry}" is not an event kind (0-65535)`);
    } else kinds.add(Number(entry));
  }
  return kinds;
}

/**
 * SEARCH_KINDS: the kinds whose content the store indexes for NIP-50 search, or `'all'` for
 * `*`. Throws a ConfigError naming every bad entry.
 */
export function searchKindsOf(config: Pick<Config, 'SEARCH_KINDS'>): ReadonlySet<number> | 'all' {
  if (config.SEARCH_KINDS.length === 1 && config.SEARCH_KINDS[0] === '*') return 'all';
  const problems: string[] = [];
  const kinds = parseKindList('SEARCH_KINDS', config.SEARCH_KINDS, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return kinds;
}
