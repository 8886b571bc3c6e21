// The split between the production build (dist/) and the test build (dist-test/), ADR 0015:
// which sources are test-only, which packages ship a production build, and which files of a
// built dist/ come from a test-only source.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * Workspace packages under libs/, services/ and apps/ that are test-only as a whole: like
 * tools/* and tests/*, they build everything into dist/ and nothing the services run imports them.
 */
export const TEST_PACKAGES = ['libs/testkit'];

/** The groups whose packages ship in the image (the Dockerfile copies these). */
const SHIPPED_GROUPS = ['libs', 'services', 'apps'];

/** A glob of tsconfig's `exclude` (`**`, `*`, literal text) as a RegExp over a `/` path. */
function globToRegExp(glob) {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('/**', i) && i + 3 === glob.length) {
      source += '/.*';
      i += 2;
    } else if (glob[i] === '*') source += '[^/]*';
    else source += glob[i].replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** A tsconfig file (JSON with whole-line `//` comments, as ours are written). */
export function readTsconfig(path) {
  return JSON.parse(readFileSync(path, 'utf8').replace(/^\s*\/\/.*$/gm, ''));
}

/**
 * The test-only source globs, relative to `root`: the `exclude` list of the root
 * tsconfig.build.json, the one place they are named.
 */
function testOnlyGlobs(root) {
  return readTsconfig(join(root, 'tsconfig.build.json')).exclude;
}

/** A predicate on a source path relative to `root` (`libs/x/src/a.test.ts`): is it test-only? */
export function testOnlySource(root) {
  const patterns = testOnlyGlobs(root).map(globToRegExp);
  return (path) => patterns.some((pattern) => pattern.test(path.split('\\').join('/')));
}

/** Every lib, service and app with a production build, as `group/name`. */
export function productionPackages(root) {
  const found = [];
  for (const group of SHIPPED_GROUPS) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const pkg = `${group}/${name}`;
      if (existsSync(join(dir, name, 'package.json')) && !TEST_PACKAGES.includes(pkg)) found.push(pkg);
    }
  }
  return found;
}

function filesUnder(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) filesUnder(path, out);
    else out.push(path);
  }
  return out;
}

/** What tsc emits for `a.ts`: `a.js`, `a.js.map`, `a.d.ts`, `a.d.ts.map`. */
const OUTPUT = /\.(?:js|d\.ts)(?:\.map)?$/;

/**
 * Files in the dist/ of every production package that are the output of a test-only source
 * (`libs/x/dist/testing.js` for `libs/x/src/testing.ts`), as paths relative to `root`.
 */
export function testOutputsInDist(root) {
  const isTestOnly = testOnlySource(root);
  const found = [];
  for (const pkg of productionPackages(root)) {
    const dist = join(root, pkg, 'dist');
    if (!existsSync(dist)) continue;
    for (const file of filesUnder(dist)) {
      const inDist = relative(dist, file).split('\\').join('/');
      const source = `${pkg}/src/${inDist.replace(OUTPUT, '')}.ts`;
      if (isTestOnly(source)) found.push(`${pkg}/dist/${inDist}`);
    }
  }
  return found.sort();
}

/** Import specifiers in emitted JavaScript: `from '…'`, `import '…'`, `import('…')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g;

/** `@nrelay/x/sub` specifiers whose export resolves only into dist-test/, across the workspace. */
function testOnlyExports(root) {
  const found = new Set();
  for (const group of [...SHIPPED_GROUPS, 'tools', 'tests']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const manifest = join(dir, name, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
        const file = typeof target === 'string' ? target : target.default;
        if (file?.startsWith('./dist-test/')) found.add(`${pkg.name}${subpath.slice(1)}`);
      }
    }
  }
  return found;
}

/**
 * Imports, in the dist/ of every production package, of an export that exists only in a test
 * build (`@nrelay/protocol/testing`): the image has no dist-test/, so the import would fail there.
 * Each as `file -> specifier`, relative to `root`.
 */
export function testImportsInDist(root) {
  const testOnly = testOnlyExports(root);
  const found = [];
  for (const pkg of productionPackages(root)) {
    const dist = join(root, pkg, 'dist');
    if (!existsSync(dist)) continue;
    for (const file of filesUnder(dist)) {
      if (!file.endsWith('.js')) continue;
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
        if (testOnly.has(specifier))
          found.push(`${relative(root, file).split('\\').join('/')} -> ${specifier}`);
      }
    }
  }
  return found.sort();
}
