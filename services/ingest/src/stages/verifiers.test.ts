import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type NostrEvent, nobleVerifier, type SignatureVerifier } from '@nrelay/protocol';
import { signedRaw } from '@nrelay/testkit';
import { nativeVerifier } from './native-verifier.js';
import { chooseVerifier } from './verifiers.js';
import { wasmVerifier } from './wasm-verifier.js';

function signed(content: string): NostrEvent {
  return signedRaw({ created_at: 1_700_000_000, tags: [['t', 'x']], content }).event;
}

const flip = (hex: string, at: number) =>
  hex.slice(0, at) + (hex[at] === '0' ? '1' : '0') + hex.slice(at + 1);

test('the native addon is built on this machine (CI installs the build tools)', () => {
  assert.ok(nativeVerifier, 'bcrypto did not build: npm rebuild bcrypto');
  assert.equal(chooseVerifier('auto'), nativeVerifier);
  assert.equal(chooseVerifier('wasm'), wasmVerifier);
  assert.equal(chooseVerifier('noble'), nobleVerifier);
});

const candidates: SignatureVerifier[] = [wasmVerifier, ...(nativeVerifier ? [nativeVerifier] : [])];
for (const verifier of candidates) {
  describe(verifier.name, () => {
    test('agrees with the @noble/curves reference on valid and tampered signatures', () => {
      let valid = 0;
      let invalid = 0;
      for (let i = 0; i < 50; i++) {
        const e = signed(`note ${i}`);
        const cases: NostrEvent[] = [
          e,
          { ...e, sig: flip(e.sig, i % 128) },
          { ...e, id: flip(e.id, i % 64) },
          { ...e, pubkey: flip(e.pubkey, i % 64) },
          { ...e, sig: '0'.repeat(128) },
          { ...e, pubkey: 'f'.repeat(64) },
        ];
        for (const c of cases) {
          const expected = nobleVerifier.verify(c);
          assert.equal(
            verifier.verify(c),
            expected,
            `disagreement on case ${cases.indexOf(c)} of event ${i}`,
          );
          if (expected) valid++;
          else invalid++;
        }
      }
      assert.equal(valid, 50);
      assert.equal(invalid, 250);
    });

    test('malformed hex is a bad signature, never an exception', () => {
      const e = signed('x');
      assert.equal(verifier.verify({ ...e, sig: 'zz'.repeat(64) }), false);
      assert.equal(verifier.verify({ ...e, sig: e.sig.slice(2) }), false);
    });
  });
}
