import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { getToken } from 'nostr-tools/nip98';
import { finalizeEvent, generateSecretKey, getPublicKey } from 'nostr-tools/pure';
import { type AccessChange, createMemoryAccessChangeBus } from './access-changes.js';
import { MemoryManagement, memoryLogger } from './management-fixtures.js';
import { createManagementRoute } from './management-route.js';
import { loadAccessState, type ManagedAccessState } from './management-state.js';
import { sha256Hex } from './nip98.js';

const adminKey = generateSecretKey();
const stateAdminKey = generateSecretKey();
const strangerKey = generateSecretKey();
const TARGET = 'b0'.repeat(32);

let server: Server;
let base: string;
let backend: MemoryManagement;
let state: ManagedAccessState;
const announced: AccessChange[] = [];
const logger = memoryLogger();

before(async () => {
  backend = new MemoryManagement();
  await backend.setPubkeyLevel(getPublicKey(stateAdminKey), 'admin');
  const changes = createMemoryAccessChangeBus();
  changes.subscribe((c) => announced.push(c));
  state = await loadAccessState({ source: backend, changes, refreshIntervalMs: 60_000, logger });
  const route = createManagementRoute({
    backend,
    state,
    changes,
    admins: [getPublicKey(adminKey)],
    relayUrl: undefined,
    logger,
    maxBodyBytes: 4096,
  });
  server = createServer((req, res) => {
    if (route(req, res)) return;
    res.writeHead(404);
    res.end('fallthrough');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(async () => {
  state.close();
  await new Promise((resolve) => server.close(resolve));
});

async function rpc(
  body: object | string,
  opts: { key?: Uint8Array; auth?: string | null; url?: string; signUrl?: string; contentType?: string } = {},
): Promise<{
  status: number;
  json: { result?: unknown; error?: string } | undefined;
  text: string;
  headers: Headers;
}> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const url = opts.url ?? base;
  let auth = opts.auth;
  if (auth === undefined) {
    const event = finalizeEvent(
      {
        kind: 27235,
        created_at: Math.floor(Date.now() / 1000),
        content: '',
        tags: [
          ['u', opts.signUrl ?? url],
          ['method', 'POST'],
          ['payload', sha256Hex(text)],
        ],
      },
      opts.key ?? adminKey,
    );
    auth = `Nostr ${Buffer.from(JSON.stringify(event)).toString('base64')}`;
  }
  const headers: Record<string, string> = {
    'Content-Type': opts.contentType ?? 'application/nostr+json+rpc',
  };
  if (auth !== null) headers.Authorization = auth;
  const res = await fetch(url, { method: 'POST', headers, body: text });
  const raw = await res.text();
  let json: { result?: unknown; error?: string } | undefined;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text: raw, headers: res.headers };
}

describe('NIP-86 HTTP route', () => {
  it('serves an admin: 200 {result}, the change applied locally before the answer, then announced', async () => {
    const before = announced.length;
    const res = await rpc({ method: 'banpubkey', params: [TARGET, 'spam'] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { result: true });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(state.levelOf(TARGET), 'none');
    assert.deepEqual(announced.slice(before), [{ v: 1, what: 'acl' }]);
    assert.ok(logger.entries.some((e) => e.msg === 'management change'));
    const list = await rpc({ method: 'listbannedpubkeys', params: [] });
    assert.deepEqual(list.json, { result: [{ pubkey: TARGET, reason: 'spam' }] });
    assert.equal(announced.length, before + 1, 'reads announce nothing');
  });

  it('also serves a pubkey whose stored level is admin, with getToken of nostr-tools', async () => {
    const payload = { method: 'supportedmethods', params: [] };
    const auth = await getToken(base, 'post', (e) => finalizeEvent(e, stateAdminKey), true, payload);
    const res = await rpc(payload, { auth });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.json?.result));
  });

  it('401 without a valid NIP-98 authorization, 403 for a non-admin', async () => {
    const missing = await rpc({ method: 'supportedmethods', params: [] }, { auth: null });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Nostr');
    assert.match(missing.json?.error ?? '', /^unauthorized: missing Authorization/);
    assert.equal(missing.json?.result, null);
    const wrongUrl = await rpc({ method: 'supportedmethods', params: [] }, { signUrl: `${base}admin` });
    assert.equal(wrongUrl.status, 401);
    assert.match(wrongUrl.json?.error ?? '', /u tag/);
    const otherPath = await rpc({ method: 'supportedmethods', params: [] }, { url: `${base}admin` });
    assert.equal(otherPath.status, 404, 'another path is not the management endpoint');
    const stranger = await rpc({ method: 'banpubkey', params: [TARGET] }, { key: strangerKey });
    assert.equal(stranger.status, 403);
    assert.match(stranger.json?.error ?? '', /^forbidden: /);
  });

  it('refuses an authorization whose payload is another body', async () => {
    const body = JSON.stringify({ method: 'supportedmethods', params: [] });
    const event = finalizeEvent(
      {
        kind: 27235,
        created_at: Math.floor(Date.now() / 1000),
        content: '',
        tags: [
          ['u', base],
          ['method', 'POST'],
          ['payload', sha256Hex(body)],
        ],
      },
      adminKey,
    );
    const auth = `Nostr ${Buffer.from(JSON.stringify(event)).toString('base64')}`;
    const swapped = await rpc({ method: 'banpubkey', params: [TARGET] }, { auth });
    assert.equal(swapped.status, 401);
    assert.match(swapped.json?.error ?? '', /payload/);
    assert.equal((await rpc(body, { auth })).status, 200);
    assert.equal(
      (await rpc(body, { auth })).status,
      200,
      'the same call twice within a second signs the same event',
    );
  });

  it('400 for a malformed request or bad params, 500 when the store fails', async () => {
    const notJson = await rpc('{oops');
    assert.equal(notJson.status, 400);
    assert.match(notJson.json?.error ?? '', /not JSON/);
    const badParam = await rpc({ method: 'allowkind', params: ['one'] });
    assert.equal(badParam.status, 400);
    const unknown = await rpc({ method: 'frobnicate', params: [] });
    assert.equal(unknown.status, 400);
    backend.fail = true;
    try {
      const failed = await rpc({ method: 'banevent', params: [TARGET] });
      assert.equal(failed.status, 500);
      assert.match(failed.json?.error ?? '', /^error: /);
    } finally {
      backend.fail = false;
    }
  });

  it('413 for a body over the limit', async () => {
    const res = await rpc({ method: 'changerelaydescription', params: ['x'.repeat(5000)] });
    assert.equal(res.status, 413);
  });

  it('leaves other requests to the other routes, and answers a CORS preflight naming Authorization', async () => {
    const other = await rpc({ method: 'supportedmethods' }, { contentType: 'application/json' });
    assert.equal(other.status, 404);
    assert.equal(other.text, 'fallthrough');
    const get = await fetch(base);
    assert.equal(get.status, 404);
    await get.text();
    const pre = await fetch(base, {
      method: 'OPTIONS',
      headers: { 'Access-Control-Request-Method': 'POST' },
    });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
    const preGet = await fetch(base, {
      method: 'OPTIONS',
      headers: { 'Access-Control-Request-Method': 'GET' },
    });
    assert.equal(preGet.status, 404);
    await preGet.text();
  });
});
