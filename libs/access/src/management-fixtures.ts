/**
 * Test doubles of the management seams: an in-memory backend with the store's semantics
 * (kind rules, levels), usable as both `ManagementBackend` and `AccessSource`.
 */
import type { ManagementBackend } from './management-rpc.js';
import type { AccessSnapshot, AccessSource } from './management-state.js';
import type { AccessLevel, RelayInfoOverrides } from './state.js';

/** An in-memory management backend; `fail` makes every call reject; `loads` counts snapshot loads. */
export class MemoryManagement implements ManagementBackend, AccessSource {
  readonly levels = new Map<string, { level: AccessLevel; reason: string | null }>();
  readonly bannedEvents = new Map<string, string | null>();
  readonly kindRules = new Map<number, boolean>();
  readonly blockedIps = new Map<string, string | null>();
  readonly relayInfo: RelayInfoOverrides = {};
  follows: string[] = [];
  fail = false;
  loads = 0;
  followLoads = 0;
  /** Resolves each load after this many ms (to test coalescing). */
  loadDelayMs = 0;

  #check(): void {
    if (this.fail) throw new Error('database unavailable');
  }

  async setPubkeyLevel(pubkey: string, level: AccessLevel, reason: string | null = null): Promise<void> {
    this.#check();
    this.levels.set(pubkey, { level, reason });
  }
  async allowPubkey(pubkey: string, reason: string | null = null): Promise<void> {
    this.#check();
    const level = this.levels.get(pubkey)?.level === 'admin' ? 'admin' : 'write';
    this.levels.set(pubkey, { level, reason });
  }
  async removePubkeyLevel(pubkey: string, levels: readonly AccessLevel[]): Promise<void> {
    this.#check();
    const current = this.levels.get(pubkey);
    if (current && levels.includes(current.level)) this.levels.delete(pubkey);
  }
  async listPubkeyLevels(levels: readonly AccessLevel[]) {
    this.#check();
    return [...this.levels]
      .filter(([, v]) => levels.includes(v.level))
      .map(([pubkey, v]) => ({ pubkey, level: v.level, reason: v.reason }));
  }
  async banEvent(id: string, reason: string | null = null): Promise<void> {
    this.#check();
    this.bannedEvents.set(id, reason);
  }
  async unbanEvent(id: string): Promise<void> {
    this.#check();
    this.bannedEvents.delete(id);
  }
  async listBannedEvents() {
    this.#check();
    return [...this.bannedEvents].map(([id, reason]) => ({ id, reason }));
  }
  async allowKind(kind: number): Promise<void> {
    this.#check();
    const lifted = this.kindRules.get(kind) === false && this.kindRules.delete(kind);
    if (lifted && ![...this.kindRules.values()].some(Boolean)) return;
    this.kindRules.set(kind, true);
  }
  async disallowKind(kind: number): Promise<void> {
    this.#check();
    this.kindRules.set(kind, false);
  }
  async listKindRules() {
    this.#check();
    return [...this.kindRules].sort(([a], [b]) => a - b).map(([kind, allowed]) => ({ kind, allowed }));
  }
  async blockIp(ip: string, reason: string | null = null): Promise<void> {
    this.#check();
    this.blockedIps.set(ip, reason);
  }
  async unblockIp(ip: string): Promise<void> {
    this.#check();
    this.blockedIps.delete(ip);
  }
  async listBlockedIps() {
    this.#check();
    return [...this.blockedIps].map(([ip, reason]) => ({ ip, reason }));
  }
  async setRelayInfo(key: 'name' | 'description' | 'icon', value: string | null): Promise<void> {
    this.#check();
    if (value === null) delete this.relayInfo[key];
    else this.relayInfo[key] = value;
  }
  async loadSnapshot(): Promise<AccessSnapshot> {
    this.loads++;
    if (this.loadDelayMs > 0) await new Promise((r) => setTimeout(r, this.loadDelayMs));
    this.#check();
    return {
      pubkeys: [...this.levels].map(([pubkey, v]) => ({ pubkey, level: v.level })),
      bannedEvents: [...this.bannedEvents.keys()],
      kindRules: [...this.kindRules].map(([kind, allowed]) => ({ kind, allowed })),
      blockedIps: [...this.blockedIps.keys()],
      relayInfo: { ...this.relayInfo },
    };
  }
  async loadFollows(): Promise<readonly string[]> {
    this.followLoads++;
    this.#check();
    return [...this.follows];
  }
}

/** A logger that keeps what it was given. */
export function memoryLogger() {
  const entries: Array<{ level: string; obj: object; msg: string | undefined }> = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    entries.push({ level, obj, msg });
  };
  return { entries, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}
