import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryManagement } from './management-fixtures.js';
import {
  callManagementMethod,
  MANAGEMENT_METHODS,
  parseRpcRequest,
  type RpcContext,
} from './management-rpc.js';

const PK = (n: number) => n.toString(16).padStart(64, '0');
const ADMIN = PK(0xad);

function context(backend = new MemoryManagement()): RpcContext & { backend: MemoryManagement } {
  return { backend, admins: new Set([ADMIN]) };
}

async function call(ctx: RpcContext, method: string, params: unknown[] = []) {
  return callManagementMethod({ method, params }, ctx);
}

async function result(ctx: RpcContext, method: string, params: unknown[] = []): Promise<unknown> {
  const outcome = await call(ctx, method, params);
  assert.ok(outcome.ok, `${method} failed: ${outcome.ok ? '' : outcome.error}`);
  return outcome.result;
}

async function paramError(ctx: RpcContext, method: string, params: unknown[], pattern: RegExp) {
  const outcome = await call(ctx, method, params);
  assert.equal(outcome.ok, false, `${method} ${JSON.stringify(params)} should fail`);
  if (!outcome.ok) {
    assert.equal(outcome.status, 400);
    assert.match(outcome.error, pattern);
  }
}

describe('NIP-86 request parsing', () => {
  it('accepts {method, params} and defaults params to []', () => {
    assert.deepEqual(parseRpcRequest('{"method":"banpubkey","params":["a","b"]}'), {
      method: 'banpubkey',
      params: ['a', 'b'],
    });
    assert.deepEqual(parseRpcRequest('{"method":"supportedmethods"}'), {
      method: 'supportedmethods',
      params: [],
    });
  });

  it('explains what is wrong with anything else', () => {
    assert.match(parseRpcRequest('{') as string, /not JSON/);
    assert.match(parseRpcRequest('[]') as string, /JSON object/);
    assert.match(parseRpcRequest('null') as string, /JSON object/);
    assert.match(parseRpcRequest('{"params":[]}') as string, /method/);
    assert.match(parseRpcRequest('{"method":""}') as string, /method/);
    assert.match(parseRpcRequest('{"method":"x","params":{}}') as string, /params must be an array/);
  });
});

describe('NIP-86 methods', () => {
  it('supportedmethods lists every other method, including the NIP-86 ones asked for', async () => {
    const methods = (await result(context(), 'supportedmethods')) as string[];
    assert.deepEqual(methods, [...MANAGEMENT_METHODS]);
    for (const m of [
      'banpubkey',
      'listbannedpubkeys',
      'allowpubkey',
      'listallowedpubkeys',
      'banevent',
      'listbannedevents',
      'allowkind',
      'disallowkind',
      'listallowedkinds',
      'blockip',
      'unblockip',
      'listblockedips',
      'changerelayname',
      'changerelaydescription',
      'changerelayicon',
    ]) {
      assert.ok(methods.includes(m), m);
    }
    assert.ok(!methods.includes('supportedmethods'));
  });

  it('bans, lists, allows and unbans pubkeys; upper-case hex is accepted', async () => {
    const ctx = context();
    assert.equal(await result(ctx, 'banpubkey', [PK(1).toUpperCase(), 'spam']), true);
    assert.equal(await result(ctx, 'banpubkey', [PK(2)]), true);
    assert.deepEqual(await result(ctx, 'listbannedpubkeys'), [
      { pubkey: PK(1), reason: 'spam' },
      { pubkey: PK(2) },
    ]);
    await result(ctx, 'allowpubkey', [PK(2), 'ok now']);
    await result(ctx, 'unbanpubkey', [PK(1)]);
    assert.deepEqual(await result(ctx, 'listbannedpubkeys'), []);
    assert.deepEqual(await result(ctx, 'listallowedpubkeys'), [
      { pubkey: PK(2), level: 'write', reason: 'ok now' },
    ]);
    await result(ctx, 'setpubkeylevel', [PK(3), 'admin']);
    await result(ctx, 'unallowpubkey', [PK(2)]);
    assert.deepEqual(await result(ctx, 'listallowedpubkeys'), [{ pubkey: PK(3), level: 'admin' }]);
  });

  it('refuses to ban or demote a configured admin', async () => {
    const ctx = context();
    await paramError(ctx, 'banpubkey', [ADMIN], /configured admin/);
    await paramError(ctx, 'setpubkeylevel', [ADMIN, 'read'], /configured admin/);
    assert.equal(await result(ctx, 'setpubkeylevel', [ADMIN, 'admin']), true);
  });

  it('bans events, rules kinds, blocks IPs and changes the relay information', async () => {
    const ctx = context();
    await result(ctx, 'banevent', [PK(9), 'illegal']);
    assert.deepEqual(await result(ctx, 'listbannedevents'), [{ id: PK(9), reason: 'illegal' }]);
    await result(ctx, 'unbanevent', [PK(9)]);
    assert.deepEqual(await result(ctx, 'listbannedevents'), []);
    await result(ctx, 'allowkind', [1]);
    await result(ctx, 'disallowkind', [4]);
    assert.deepEqual(await result(ctx, 'listallowedkinds'), [1]);
    assert.deepEqual(await result(ctx, 'listdisallowedkinds'), [4]);
    await result(ctx, 'blockip', [' 2001:DB8::1 ', 'abuse']);
    await result(ctx, 'blockip', ['10.0.0.0/8']);
    assert.deepEqual(await result(ctx, 'listblockedips'), [
      { ip: '2001:db8::1', reason: 'abuse' },
      { ip: '10.0.0.0/8' },
    ]);
    await result(ctx, 'unblockip', ['2001:db8:0::1']);
    assert.deepEqual(await result(ctx, 'listblockedips'), [{ ip: '10.0.0.0/8' }]);
    await result(ctx, 'changerelayname', ['New name']);
    await result(ctx, 'changerelaydescription', ['About']);
    await result(ctx, 'changerelayicon', ['https://example.com/i.png']);
    assert.deepEqual(ctx.backend.relayInfo, {
      name: 'New name',
      description: 'About',
      icon: 'https://example.com/i.png',
    });
    await result(ctx, 'changerelayicon', ['']);
    assert.deepEqual(ctx.backend.relayInfo, { name: 'New name', description: 'About' });
  });

  it('says which parameter is wrong', async () => {
    const ctx = context();
    await paramError(ctx, 'banpubkey', [], /public key/);
    await paramError(ctx, 'banpubkey', ['npub1xyz'], /public key/);
    await paramError(ctx, 'banpubkey', [PK(1), 42], /reason must be a string/);
    await paramError(ctx, 'banpubkey', [PK(1), 'x'.repeat(1001)], /reason longer/);
    await paramError(ctx, 'banevent', ['abc'], /event id/);
    await paramError(ctx, 'allowkind', ['1'], /kind number/);
    await paramError(ctx, 'allowkind', [70000], /kind number/);
    await paramError(ctx, 'blockip', ['example.com'], /IP address or a CIDR/);
    await paramError(ctx, 'changerelayname', [3], /string/);
    await paramError(ctx, 'changerelayname', ['x'.repeat(257)], /longer than 256/);
    await paramError(ctx, 'changerelayicon', ['javascript:alert(1)'], /http\(s\) URL/);
    await paramError(ctx, 'setpubkeylevel', [PK(1), 'owner'], /one of none, read, write, admin/);
    await paramError(ctx, 'constructor', [], /unsupported method: constructor/);
    await paramError(ctx, 'nosuchmethod', [], /unsupported method/);
  });

  it('answers 500 without details when the backend fails', async () => {
    const ctx = context();
    ctx.backend.fail = true;
    const outcome = await call(ctx, 'banpubkey', [PK(1)]);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.status, 500);
      assert.doesNotMatch(outcome.error, /database unavailable/);
      assert.match(String(outcome.cause), /database unavailable/);
    }
  });
});
