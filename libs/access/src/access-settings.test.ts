import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '@nrelay/config';
import { accessSettingsOf, privilegedKindsOf } from './access-settings.js';
import { ipInList } from './cidr.js';

const ADMIN = 'ab'.repeat(32);

describe('accessSettingsOf', () => {
  it('defaults: open, privileged kinds on, trusted loopback, no IP lists', () => {
    const s = accessSettingsOf(loadConfig({}));
    assert.equal(s.mode, 'open');
    assert.deepEqual([...s.privilegedKinds], [4, 13, 14, 15, 1059, 1060]);
    assert.ok(ipInList('127.0.0.1', s.trustedProxies));
    assert.ok(ipInList('::1', s.trustedProxies));
    assert.ok(!ipInList('127.0.0.1', s.ipDeny));
    assert.equal(s.ipAllow.entries.length, 0);
    assert.equal(s.proxyProtocol, false);
  });

  it('parses every list', () => {
    const s = accessSettingsOf(
      loadConfig({
        ACCESS_MODE: 'follows',
        ADMIN_PUBKEYS: ADMIN,
        PRIVILEGED_KINDS: '4,1059',
        IP_ALLOW: '10.0.0.0/8,2001:db8::/32',
        IP_DENY: '10.0.0.1',
        TRUSTED_PROXIES: '',
        PROXY_PROTOCOL: 'true',
      }),
    );
    assert.equal(s.mode, 'follows');
    assert.deepEqual([...s.admins], [ADMIN]);
    assert.deepEqual([...s.privilegedKinds], [4, 1059]);
    assert.ok(ipInList('2001:db8::5', s.ipAllow));
    assert.ok(ipInList('10.0.0.1', s.ipDeny));
    assert.ok(!ipInList('10.0.0.2', s.ipDeny));
    assert.equal(s.proxyProtocol, true);
  });

  it('an empty PRIVILEGED_KINDS turns privileged events off', () => {
    assert.equal(privilegedKindsOf({ PRIVILEGED_KINDS: [] }).size, 0);
  });

  it('reports every bad value in one ConfigError', () => {
    const config = loadConfig({
      ACCESS_MODE: 'follows',
      ADMIN_PUBKEYS: 'nothex',
      PRIVILEGED_KINDS: '4,dm,70000',
      IP_ALLOW: '10.0.0.0/40',
      IP_DENY: 'localhost',
      TRUSTED_PROXIES: '1.2.3.4/x',
    });
    assert.throws(
      () => accessSettingsOf(config),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        for (const word of [
          'ADMIN_PUBKEYS',
          '"dm"',
          '"70000"',
          'IP_ALLOW',
          'IP_DENY',
          'TRUSTED_PROXIES',
          'follows needs',
        ]) {
          assert.ok(text.includes(word), `${word} missing from:\n${text}`);
        }
        assert.equal(err.problems.length, 7);
        return true;
      },
    );
  });
});
