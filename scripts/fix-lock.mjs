#!/usr/bin/env node
// Restores the lock-file entries of other platforms' optional packages (biome, turbo, …).
//
// The npm registry this project's machines reach serves only this platform's builds of such
// packages, so `npm install` writes a package-lock.json without the others, and `npm ci`
// then refuses that lock as "out of sync" ("Missing: @biomejs/cli-darwin-x64@ from lock
// file"). npm never downloads a foreign-platform optional package, so an entry with its
// version, os and cpu (read from its name) is all `npm ci` needs. Idempotent; runs after
// every `npm install` (root postinstall) and in .ci/run.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const path = process.argv[2] ?? fileURLToPath(new URL('../package-lock.json', import.meta.url));
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const n = name.split('/').at(-1);
  const os = [
    ['darwin', 'darwin'],
    ['win32', 'win32'],
    ['windows', 'win32'],
    ['linux', 'linux'],
    ['android', 'android'],
    ['freebsd', 'freebsd'],
  ].find(([needle]) => n.includes(needle))?.[1];
  const cpu = n.includes('arm64')
    ? 'arm64'
    : /(x64|-64$|-64-)/.test(n)
      ? 'x64'
      : n.includes('ia32')
        ? 'ia32'
        : n.includes('arm')
          ? 'arm'
          : undefined;
  return { os, cpu, libc: n.includes('musl') ? 'musl' : undefined };
}

const added = [];
for (const meta of Object.values(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const location = `node_modules/${dep}`;
    if (packages[location]) continue;
    const { os, cpu, libc } = platformOf(dep);
    if (!os || !cpu || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue;
    packages[location] = {
      version: spec,
      cpu: [cpu],
      ...(meta.dev ? { dev: true } : {}),
      ...(libc ? { libc: [libc] } : {}),
      license: meta.license ?? 'MIT',
      optional: true,
      os: [os],
      ...(meta.engines ? { engines: meta.engines } : {}),
    };
    added.push(location);
  }
}
if (added.length > 0) {
  const [root, ...rest] = Object.keys(packages);
  const sorted = { [root]: packages[root] };
  for (const key of rest.sort()) sorted[key] = packages[key];
  lock.packages = sorted;
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
  process.stdout.write(`fix-lock: added ${added.length} foreign-platform optional entries to ${path}\n`);
}
