// The 300-line rule (STYLE.md "Size and words", ADR 0016): no source file of the repository
// passes MAX_LINES lines unless an ADR names it under a heading "Files allowed past 300 lines".
// scripts/file-size.test.mjs runs the check over the tree as it is when `npm test` runs.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The most lines a source file may have without an ADR naming it. */
export const MAX_LINES = 300;

/** The sources the rule covers: TypeScript and JavaScript modules. */
const SOURCE = /\.(ts|mjs|cjs)$/;

/** Tracked files that are not written by hand, whatever their extension. */
const NOT_HANDWRITTEN = /(^|\/)package-lock\.json$/;

/** A generated file says so in its first lines (the `@generated` convention). */
const GENERATED_MARK = /@generated\b/;

/** The ADR heading whose list names the files allowed past MAX_LINES. */
const ALLOWANCE_HEADING = /^#{1,6}\s+Files allowed past 300 lines\s*$/i;

/** One list item of that heading: "- `path`", optionally followed by why. */
const ALLOWANCE_ITEM = /^[-*]\s+`([^`]+)`/;

/** Lines of `text` as `wc -l` counts them, plus a last line without a final newline. */
export function countLines(text) {
  if (text === '') return 0;
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return text.endsWith('\n') ? lines : lines + 1;
}

/** Whether `text` marks itself as generated (`@generated` in its first five lines). */
export function isGenerated(text) {
  return GENERATED_MARK.test(text.split('\n', 5).join('\n'));
}

/** Whether the rule covers the file at `path` (repository-relative, `/`-separated). */
export function isCoveredSource(path) {
  return SOURCE.test(path) && !NOT_HANDWRITTEN.test(path);
}

/**
 * The files the ADRs allow past MAX_LINES: path → the ADR naming it. `adrs` maps an ADR's file
 * name to its text; only "- `path`" items under a "Files allowed past 300 lines" heading
 * count, up to the next heading.
 */
export function allowancesFromAdrs(adrs) {
  const allowed = new Map();
  for (const [adr, text] of adrs) {
    let inList = false;
    for (const line of text.split('\n')) {
      if (/^#{1,6}\s/.test(line)) {
        inList = ALLOWANCE_HEADING.test(line);
        continue;
      }
      const item = inList ? ALLOWANCE_ITEM.exec(line.trim()) : null;
      if (item !== null) allowed.set(item[1], adr);
    }
  }
  return allowed;
}

/**
 * Checks `files` (path and line count each) against the rule. `tooLong`: files past MAX_LINES
 * that no ADR names. `stale`: names in an ADR's list for a file that is gone or back within
 * MAX_LINES (the list says what is true of the tree, so such a line is deleted).
 */
export function checkFileSizes(files, allowed) {
  const tooLong = [];
  const lines = new Map(files.map((file) => [file.path, file.lines]));
  for (const file of files) {
    if (file.lines > MAX_LINES && !allowed.has(file.path)) tooLong.push(file);
  }
  const stale = [];
  for (const [path, adr] of allowed) {
    const count = lines.get(path);
    if (count === undefined || count <= MAX_LINES) stale.push({ path, adr, lines: count });
  }
  return { tooLong, stale };
}

/**
 * The covered source files of the repository at `root` with their line counts: tracked files
 * and new ones git does not ignore, minus those deleted from the working tree and generated ones.
 */
export function repositorySources(root) {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const files = [];
  for (const path of new Set(listed.split('\0'))) {
    if (path === '' || !isCoveredSource(path) || !existsSync(join(root, path))) continue;
    const text = readFileSync(join(root, path), 'utf8');
    if (!isGenerated(text)) files.push({ path, lines: countLines(text) });
  }
  return files;
}

/** The ADRs of the repository at `root` (docs/adr/*.md): file name → text. */
export function repositoryAdrs(root) {
  const dir = join(root, 'docs/adr');
  const adrs = new Map();
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.md')) adrs.set(name, readFileSync(join(dir, name), 'utf8'));
  }
  return adrs;
}
