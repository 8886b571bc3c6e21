#!/usr/bin/env node
// The `nrelay` command (npx nrelay): runs the built CLI, or says how to build it.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    'nrelay: the CLI is not built: run npm run build first (or npm run nrelay -- <command>)\n',
  );
  process.exit(1);
}
await import(main.href);
