/**
 * NIP-86 relay management methods: request parsing, the methods and the call into the
 * store. Transport (HTTP, NIP-98) lives in management-route.ts; parameter readers in
 * management-params.ts.
 */
import {
  eventIdParam,
  iconParam,
  ipParam,
  kindParam,
  MAX_DESCRIPTION,
  MAX_NAME,
  pubkeyParam,
  RpcParamError,
  reasonParam,
  textParam,
} from './management-params.js';
import type { AccessLevel } from './state.js';

/** The management writes and reads (`createManagementStore` of @nrelay/store satisfies it). */
export interface ManagementBackend {
  setPubkeyLevel(pubkey: string, level: AccessLevel, reason?: string | null): Promise<unknown>;
  /** Level 'write', an admin staying admin; lifts a ban. */
  allowPubkey(pubkey: string, reason?: string | null): Promise<unknown>;
  /** Deletes the pubkey's rule when its level is one of `levels`. */
  removePubkeyLevel(pubkey: string, levels: readonly AccessLevel[]): Promise<unknown>;
  listPubkeyLevels(
    levels: readonly AccessLevel[],
  ): Promise<Array<{ pubkey: string; level: AccessLevel; reason: string | null }>>;
  banEvent(id: string, reason?: string | null): Promise<unknown>;
  unbanEvent(id: string): Promise<unknown>;
  listBannedEvents(): Promise<Array<{ id: string; reason: string | null }>>;
  allowKind(kind: number): Promise<void>;
  disallowKind(kind: number): Promise<void>;
  listKindRules(): Promise<Array<{ kind: number; allowed: boolean }>>;
  blockIp(ip: string, reason?: string | null): Promise<void>;
  unblockIp(ip: string): Promise<unknown>;
  listBlockedIps(): Promise<Array<{ ip: string; reason: string | null }>>;
  /** `null` goes back to the configured value. */
  setRelayInfo(key: 'name' | 'description' | 'icon', value: string | null): Promise<void>;
}

/** A parsed NIP-86 request. */
export interface RpcRequest {
  method: string;
  params: unknown[];
}

/** What a method may use besides its parameters. */
export interface RpcContext {
  backend: ManagementBackend;
  /** Configured admins (ADMIN_PUBKEYS): they cannot be banned or demoted through the API. */
  admins: ReadonlySet<string>;
}

interface MethodSpec {
  /** Whether it changes the state (then every process is told to reload). */
  writes: boolean;
  run(params: unknown[], ctx: RpcContext): Promise<unknown>;
}

const LEVELS: readonly AccessLevel[] = ['none', 'read', 'write', 'admin'];
const ALLOWED_LEVELS: readonly AccessLevel[] = ['read', 'write', 'admin'];

function notAConfiguredAdmin(pubkey: string, ctx: RpcContext): void {
  if (ctx.admins.has(pubkey))
    throw new RpcParamError('a configured admin (ADMIN_PUBKEYS) cannot be banned or demoted');
}

const withReason = <T extends { reason: string | null }>(row: T) => {
  const { reason, ...rest } = row;
  return reason === null ? rest : { ...rest, reason };
};

/** Every method this relay serves, by name. `setpubkeylevel` is an nrelay extension. */
const METHODS: Record<string, MethodSpec> = {
  banpubkey: {
    writes: true,
    async run(params, ctx) {
      const pubkey = pubkeyParam(params);
      notAConfiguredAdmin(pubkey, ctx);
      await ctx.backend.setPubkeyLevel(pubkey, 'none', reasonParam(params));
      return true;
    },
  },
  unbanpubkey: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.removePubkeyLevel(pubkeyParam(params), ['none']);
      return true;
    },
  },
  listbannedpubkeys: {
    writes: false,
    async run(_params, ctx) {
      return (await ctx.backend.listPubkeyLevels(['none'])).map(({ pubkey, reason }) =>
        withReason({ pubkey, reason }),
      );
    },
  },
  allowpubkey: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.allowPubkey(pubkeyParam(params), reasonParam(params));
      return true;
    },
  },
  unallowpubkey: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.removePubkeyLevel(pubkeyParam(params), ALLOWED_LEVELS);
      return true;
    },
  },
  listallowedpubkeys: {
    writes: false,
    async run(_params, ctx) {
      return (await ctx.backend.listPubkeyLevels(ALLOWED_LEVELS)).map(withReason);
    },
  },
  setpubkeylevel: {
    writes: true,
    async run(params, ctx) {
      const pubkey = pubkeyParam(params);
      const level = params[1];
      if (typeof level !== 'string' || !LEVELS.includes(level as AccessLevel)) {
        throw new RpcParamError(`second parameter must be one of ${LEVELS.join(', ')}`);
      }
      if (level !== 'admin') notAConfiguredAdmin(pubkey, ctx);
      await ctx.backend.setPubkeyLevel(pubkey, level as AccessLevel, reasonParam(params, 2));
      return true;
    },
  },
  banevent: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.banEvent(eventIdParam(params), reasonParam(params));
      return true;
    },
  },
  unbanevent: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.unbanEvent(eventIdParam(params));
      return true;
    },
  },
  listbannedevents: {
    writes: false,
    async run(_params, ctx) {
      return (await ctx.backend.listBannedEvents()).map(withReason);
    },
  },
  allowkind: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.allowKind(kindParam(params));
      return true;
    },
  },
  disallowkind: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.disallowKind(kindParam(params));
      return true;
    },
  },
  listallowedkinds: {
    writes: false,
    async run(_params, ctx) {
      return (await ctx.backend.listKindRules()).filter((r) => r.allowed).map((r) => r.kind);
    },
  },
  listdisallowedkinds: {
    writes: false,
    async run(_params, ctx) {
      return (await ctx.backend.listKindRules()).filter((r) => !r.allowed).map((r) => r.kind);
    },
  },
  blockip: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.blockIp(ipParam(params), reasonParam(params));
      return true;
    },
  },
  unblockip: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.unblockIp(ipParam(params));
      return true;
    },
  },
  listblockedips: {
    writes: false,
    async run(_params, ctx) {
      return (await ctx.backend.listBlockedIps()).map(withReason);
    },
  },
  changerelayname: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.setRelayInfo('name', textParam(params, MAX_NAME));
      return true;
    },
  },
  changerelaydescription: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.setRelayInfo('description', textParam(params, MAX_DESCRIPTION));
      return true;
    },
  },
  changerelayicon: {
    writes: true,
    async run(params, ctx) {
      await ctx.backend.setRelayInfo('icon', iconParam(params));
      return true;
    },
  },
};

/** The names `supportedmethods` answers (every method but itself), sorted. */
export const MANAGEMENT_METHODS: readonly string[] = Object.keys(METHODS).sort();

/** Parses a NIP-86 body; a string is the reason it is not a request. */
export function parseRpcRequest(body: string): RpcRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return 'request body is not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'request must be a JSON object with method and params';
  }
  const { method, params } = value as Record<string, unknown>;
  if (typeof method !== 'string' || method === '') return 'method must be a non-empty string';
  if (params !== undefined && !Array.isArray(params)) return 'params must be an array';
  return { method, params: (params as unknown[] | undefined) ?? [] };
}

/** The outcome of one call: a result, or an error answered with `status`. */
export type RpcOutcome =
  | { ok: true; result: unknown; writes: boolean }
  | { ok: false; status: 400 | 500; error: string; cause?: unknown };

/** Runs one request. Parameter problems are 400; backend failures are 500 with the cause attached. */
export async function callManagementMethod(request: RpcRequest, ctx: RpcContext): Promise<RpcOutcome> {
  if (request.method === 'supportedmethods')
    return { ok: true, result: [...MANAGEMENT_METHODS], writes: false };
  const spec = Object.hasOwn(METHODS, request.method) ? METHODS[request.method] : undefined;
  if (spec === undefined)
    return { ok: false, status: 400, error: `unsupported method: ${request.method.slice(0, 64)}` };
  try {
    return { ok: true, result: await spec.run(request.params, ctx), writes: spec.writes };
  } catch (err) {
    if (err instanceof RpcParamError)
      return { ok: false, status: 400, error: `${request.method}: ${err.message}` };
    return {
      ok: false,
      status: 500,
      error: 'error: the change could not be saved, try again later',
      cause: err,
    };
  }
}
