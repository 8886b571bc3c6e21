// Resolution for .dependency-cruiser.cjs (read as a webpack-style `resolve` section, the only
// way dependency-cruiser takes aliases without the TypeScript API): each workspace package
// name and subpath in its package.json `exports` → the TypeScript source it is built from,
// exactly (`$`), so any other `@nrelay/…` subpath is a deep import that does not resolve.
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = __dirname;
const GROUPS = ['libs', 'services', 'apps', 'tools', 'tests'];

function workspaceAliases() {
  const alias = {};
  for (const group of GROUPS) {
    const groupDir = join(ROOT, group);
    if (!existsSync(groupDir)) continue;
    for (const dir of readdirSync(groupDir)) {
      const manifest = join(groupDir, dir, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
      for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
        const file = typeof target === 'string' ? target : target.default;
        if (typeof file !== 'string') continue;
        const source = file.replace(/^\.\/dist(-test)?\//, './src/').replace(/\.js$/, '.ts');
        alias[`${pkg.name}${subpath.slice(1)}$`] = join(ROOT, group, dir, source);
      }
    }
  }
  return alias;
}

module.exports = { resolve: { alias: workspaceAliases() } };
