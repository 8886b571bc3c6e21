// After the production build, no dist/ holds a test or a test helper (ADR 0015): every lib,
// service and app builds with a tsconfig.build.json extending the root one, whose `exclude`
// names the test-only files; a production module that imported one would still pull it into
// dist/, and this test catches that too. The image ships dist/ as built.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  productionPackages,
  readTsconfig,
  testImportsInDist,
  testOnlySource,
  testOutputsInDist,
} from './build-split.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TURBO = join(ROOT, 'node_modules/.bin/turbo');

/** Builds every production package as `npm run build` does (turbo: cached when unchanged). */
function buildProduction() {
  const filters = productionPackages(ROOT).map((pkg) => `--filter=./${pkg}`);
  execFileSync(TURBO, ['run', 'build', ...filters, '--output-logs=errors-only'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
  });
}

/** A package's `exports`, subpath → its conditions. */
function exportsOf(pkg) {
  return JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')).exports ?? {};
}

test('every lib, service and app builds dist/ with tsconfig.build.json and its tests with tsconfig.test.json', () => {
  const packages = productionPackages(ROOT);
  assert.ok(packages.includes('libs/protocol') && packages.includes('services/gateway'), String(packages));
  for (const pkg of packages) {
    const build = readTsconfig(join(ROOT, pkg, 'tsconfig.build.json'));
    assert.equal(build.extends, '../../tsconfig.build.json', `${pkg}/tsconfig.build.json`);
    assert.equal(build.exclude, undefined, `${pkg}/tsconfig.build.json keeps the shared exclude list`);
    assert.equal(build.compilerOptions.outDir, 'dist', `${pkg}/tsconfig.build.json`);
    const tests = readTsconfig(join(ROOT, pkg, 'tsconfig.test.json'));
    assert.equal(tests.extends, './tsconfig.build.json', `${pkg}/tsconfig.test.json`);
    assert.equal(tests.compilerOptions.outDir, 'dist-test', `${pkg}/tsconfig.test.json`);
    const scripts = JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')).scripts;
    assert.match(scripts.build, /tsc -p tsconfig\.build\.json$/, `${pkg} build`);
    assert.match(scripts['build:test'], /tsc -p tsconfig\.test\.json$/, `${pkg} build:test`);
  }
});

test('a test-only export points into dist-test/; any other resolves there only under nrelay-test', () => {
  const isTestOnly = testOnlySource(ROOT);
  for (const pkg of productionPackages(ROOT)) {
    for (const [subpath, target] of Object.entries(exportsOf(pkg))) {
      const stem = target.default.replace(/^\.\/dist(-test)?\//, '').replace(/\.js$/, '');
      const inTests = { types: `./dist-test/${stem}.d.ts`, default: `./dist-test/${stem}.js` };
      const expected = isTestOnly(`${pkg}/src/${stem}.ts`)
        ? inTests
        : { 'nrelay-test': inTests, types: `./dist/${stem}.d.ts`, default: `./dist/${stem}.js` };
      assert.deepEqual(target, expected, `${pkg} exports ${subpath}`);
    }
  }
});

test('the test-only patterns name the tests and the helpers only tests use, not the code', () => {
  const isTestOnly = testOnlySource(ROOT);
  for (const path of [
    'libs/protocol/src/filter.test.ts',
    'libs/protocol/src/testing.ts',
    'libs/store/src/testing/backends.ts',
    'libs/runtime/src/fixtures/echo-service.ts',
    'services/gateway/src/fixtures.ts',
    'libs/access/src/management-fixtures.ts',
    'libs/seams/src/fanout/conformance.ts',
    'libs/access/src/rate-limit-conformance.ts',
    'libs/store/src/tools/explain-plans.ts',
  ]) {
    assert.ok(isTestOnly(path), `${path} is test-only`);
  }
  for (const path of [
    'libs/protocol/src/filter.ts',
    'libs/store/src/index.ts',
    'libs/seams/src/ingest/seam.ts',
    'services/gateway/src/subscriptions/subscription.ts',
    'libs/config/src/print-settings.ts',
  ]) {
    assert.ok(!isTestOnly(path), `${path} ships`);
  }
});

test('after the production build no dist/ holds a test, a test helper or a fixture', () => {
  buildProduction();
  for (const pkg of productionPackages(ROOT)) {
    for (const target of Object.values(exportsOf(pkg))) {
      if (target.default.startsWith('./dist/'))
        assert.ok(existsSync(join(ROOT, pkg, target.default)), target.default);
    }
  }
  assert.deepEqual(testOutputsInDist(ROOT), []);
  assert.deepEqual(testImportsInDist(ROOT), [], 'dist/ imports a test-only export');
});

test('the check fails on a test file planted in a copy of a built dist/', () => {
  buildProduction();
  const dir = mkdtempSync(join(tmpdir(), 'nrelay-dist-check-'));
  try {
    for (const file of ['tsconfig.base.json', 'tsconfig.build.json'])
      cpSync(join(ROOT, file), join(dir, file));
    for (const pkg of ['libs/store', 'services/gateway']) {
      for (const file of ['package.json', 'tsconfig.build.json', 'tsconfig.test.json', 'dist']) {
        cpSync(join(ROOT, pkg, file), join(dir, pkg, file), { recursive: true });
      }
    }
    assert.deepEqual(testOutputsInDist(dir), [], 'the copy of the real build is clean');

    const planted = [
      'libs/store/dist/event-store.test.js',
      'libs/store/dist/testing/backends.d.ts',
      'libs/store/dist/tools/seed.js.map',
      'services/gateway/dist/fixtures.js',
      'services/gateway/dist/handlers/req-conformance.d.ts.map',
    ];
    for (const path of planted) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), '');
    }
    assert.deepEqual(testOutputsInDist(dir), [...planted].sort());

    cpSync(join(ROOT, 'libs/protocol/package.json'), join(dir, 'libs/protocol/package.json'));
    assert.deepEqual(testImportsInDist(dir), [], 'the copy of the real build imports no test helper');
    writeFileSync(
      join(dir, 'services/gateway/dist/uses-helper.js'),
      "import { signedRaw } from '@nrelay/protocol/testing';\nexport const sign = signedRaw;\n",
    );
    assert.deepEqual(testImportsInDist(dir), [
      'services/gateway/dist/uses-helper.js -> @nrelay/protocol/testing',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
