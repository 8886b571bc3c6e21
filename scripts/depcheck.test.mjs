// The dependency rules (.dependency-cruiser.cjs) fail on forbidden imports: the project's own
// config is run over a throw-away workspace that breaks each rule once, next to imports the
// rules allow, and every violation must be reported with its rule's name, and nothing else.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

/**
 * A package.json exporting `.` from dist/ (dist-test/ under `nrelay-test`) and `./testing` from
 * dist-test/, as the workspace packages do (ADR 0015).
 */
function manifest(name) {
  const entry = (dir, file) => ({ types: `./${dir}/${file}.d.ts`, default: `./${dir}/${file}.js` });
  return JSON.stringify({
    name,
    type: 'module',
    exports: {
      '.': { 'nrelay-test': entry('dist-test', 'index'), ...entry('dist', 'index') },
      './testing': entry('dist-test', 'testing'),
    },
  });
}

const PACKAGES = {
  'libs/protocol': '@nrelay/protocol',
  'libs/seams': '@nrelay/seams',
  'libs/store': '@nrelay/store',
  'libs/testkit': '@nrelay/testkit',
  'services/gateway': '@nrelay/gateway',
  'services/ingest': '@nrelay/ingest',
  'apps/standalone': '@nrelay/standalone',
  'tests/integration': '@nrelay/integration-tests',
  'tools/bench': '@nrelay/bench',
};

/** Source files of the fixture: path → its imports (one `import` line each). */
const SOURCES = {
  // libs/seams: the wire types are allowed, the store is not (seams-are-transport-only).
  'libs/seams/src/index.ts': ['@nrelay/protocol', '@nrelay/store'],
  // Allowed: lib → lib, service → lib, app → service, test → app, a package's own files.
  'libs/store/src/index.ts': [],
  'libs/store/src/internal.ts': [],
  'libs/store/src/testing.ts': ['./index.js'],
  'services/ingest/src/index.ts': ['@nrelay/store', '@nrelay/store/testing'],
  'apps/standalone/src/index.ts': ['@nrelay/ingest', '@nrelay/store'],
  'tests/integration/src/index.ts': ['@nrelay/standalone', '@nrelay/gateway'],
  'libs/protocol/src/testing.ts': ['./index.js'],
  'libs/testkit/src/index.ts': [],
  'services/ingest/src/index.test.ts': ['@nrelay/testkit'],
  'services/ingest/src/fixtures.ts': ['@nrelay/testkit'],
  'tests/integration/src/harness.ts': ['@nrelay/testkit'],
  // Forbidden, one per rule.
  'libs/protocol/src/index.ts': ['@nrelay/store'],
  'services/gateway/src/index.ts': ['@nrelay/ingest', '../../../libs/store/src/internal.js', './a.js'],
  'services/gateway/src/a.ts': ['./b.js'],
  'services/gateway/src/b.ts': ['./a.js'],
  'services/gateway/src/testing.ts': ['@nrelay/store/src/internal.js', '@nrelay/standalone'],
  'libs/store/src/uses-service.ts': ['@nrelay/gateway'],
  'apps/standalone/src/testing.ts': ['@nrelay/integration-tests'],
  'tools/bench/src/index.ts': ['@nrelay/standalone', '@nrelay/integration-tests'],
  'services/ingest/src/pipeline.ts': ['@nrelay/testkit'],
};

function writeFixture(dir) {
  for (const [path, name] of Object.entries(PACKAGES)) {
    mkdirSync(join(dir, path, 'src'), { recursive: true });
    writeFileSync(join(dir, path, 'package.json'), manifest(name));
  }
  for (const [path, imports] of Object.entries(SOURCES)) {
    const lines = imports.map((spec, i) => `import * as m${i} from '${spec}';`);
    lines.push(`export const used = [${imports.map((_, i) => `m${i}`).join(', ')}];`);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), `${lines.join('\n')}\n`);
  }
  for (const config of ['.dependency-cruiser.cjs', '.dependency-cruiser-resolve.cjs']) {
    copyFileSync(join(ROOT, config), join(dir, config));
  }
}

/** Runs the CLI as `npm run depcheck` does and returns its JSON report (exit code ignored). */
function cruise(dir) {
  const globs = ['libs', 'services', 'apps', 'tools', 'tests'].map((group) => `${group}/*/src`);
  let stdout;
  try {
    stdout = execFileSync(
      process.execPath,
      [CLI, ...globs, '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
      { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (error) {
    stdout = error.stdout; // violations make the CLI exit non-zero; its report is still on stdout
  }
  return JSON.parse(stdout);
}

test('each dependency rule reports its forbidden import, and allowed imports pass', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nrelay-depcheck-'));
  try {
    writeFixture(dir);
    const report = cruise(dir);
    const found = report.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    console.log(found.join('\n'));
    assert.deepEqual(found, [
      'apps-import-no-tools-or-tests: apps/standalone/src/testing.ts -> tests/integration/src/index.ts',
      'libs-import-only-libs: libs/store/src/uses-service.ts -> services/gateway/src/index.ts',
      'no-circular-import: services/gateway/src/a.ts -> services/gateway/src/b.ts',
      'no-deep-import: services/gateway/src/testing.ts -> @nrelay/store/src/internal.js',
      'no-relative-import-across-packages: services/gateway/src/index.ts -> libs/store/src/internal.ts',
      'protocol-imports-nothing-of-ours: libs/protocol/src/index.ts -> libs/store/src/index.ts',
      'seams-are-transport-only: libs/seams/src/index.ts -> libs/store/src/index.ts',
      'service-imports-no-other-service: services/gateway/src/index.ts -> services/ingest/src/index.ts',
      'services-import-no-apps-tools-tests: services/gateway/src/testing.ts -> apps/standalone/src/index.ts',
      'testkit-only-in-tests: services/ingest/src/pipeline.ts -> libs/testkit/src/index.ts',
      'tools-and-tests-do-not-import-each-other: tools/bench/src/index.ts -> tests/integration/src/index.ts',
    ]);
    assert.ok(report.summary.totalCruised >= Object.keys(SOURCES).length, 'every fixture file was read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
