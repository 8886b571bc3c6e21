// Every rejection reason the relay's source can send has a row, with a stable code, in the
// catalogue of docs/errors.md. The source is tokenized (comments skipped, `${…}` in templates
// read as a wildcard), so a reason is found wherever it is written, not by line patterns.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testOnlySource } from './build-split.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = join(ROOT, 'docs/errors.md');
const CATALOGUE_HEADING = '## Catalogue of rejection reasons';
/** NIP-01 prefixes, plus the HTTP ones of NIP-86 and the query service. */
const PREFIX =
  /^(invalid|blocked|rate-limited|auth-required|restricted|pow|duplicate|error|unauthorized|forbidden): /;
const WILDCARD = '…';
/** Test code and test helpers (ADR 0015) are not the relay: their strings are expectations. */
const isTestOnly = testOnlySource(ROOT);

/** The string literals of a TypeScript source, templates with each `${…}` as `…`. */
export function stringLiterals(source) {
  const found = [];
  let i = 0;
  let lastSignificant = '';
  const REGEX_CAN_FOLLOW = '(,=:[!&|?{};+-*%<>~^';

  function readQuoted(quote) {
    let text = '';
    i++;
    while (i < source.length && source[i] !== quote) {
      if (source[i] === '\\') {
        text += source[i + 1];
        i += 2;
      } else text += source[i++];
    }
    i++;
    return text;
  }

  function readTemplate() {
    let text = '';
    i++;
    while (i < source.length && source[i] !== '`') {
      if (source[i] === '\\') {
        text += source[i + 1];
        i += 2;
      } else if (source[i] === '$' && source[i + 1] === '{') {
        i += 2;
        scan('}');
        i++;
        if (!text.endsWith(WILDCARD)) text += WILDCARD;
      } else text += source[i++];
    }
    i++;
    return text;
  }

  function skipRegex() {
    let inClass = false;
    i++;
    while (i < source.length && source[i] !== '\n') {
      const c = source[i];
      if (c === '\\') i += 2;
      else {
        i++;
        if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
      }
    }
  }

  /** Scans until `end` (a closing brace of a template expression) or the end of the source. */
  function scan(end) {
    let depth = 0;
    while (i < source.length) {
      const c = source[i];
      const next = source[i + 1];
      if (end !== undefined && c === end && depth === 0) return;
      if (c === '/' && next === '/') {
        while (i < source.length && source[i] !== '\n') i++;
      } else if (c === '/' && next === '*') {
        const close = source.indexOf('*/', i + 2);
        i = close < 0 ? source.length : close + 2;
      } else if (c === "'" || c === '"') {
        found.push(readQuoted(c));
        lastSignificant = 'x';
      } else if (c === '`') {
        found.push(readTemplate());
        lastSignificant = 'x';
      } else if (c === '/' && (lastSignificant === '' || REGEX_CAN_FOLLOW.includes(lastSignificant))) {
        skipRegex();
        lastSignificant = 'x';
      } else {
        if (c === '{') depth++;
        else if (c === '}') depth--;
        if (!/\s/.test(c)) lastSignificant = /[\w$]/.test(c) ? wordBefore(i) : c;
        i++;
      }
    }
  }

  /** `return /re/` starts a regular expression; `a /b` divides. */
  function wordBefore(at) {
    let start = at;
    while (start > 0 && /[\w$]/.test(source[start - 1])) start--;
    const word = source.slice(start, at + 1);
    return ['return', 'typeof', 'case', 'in', 'of', 'void', 'throw'].includes(word) ? '(' : 'x';
  }

  scan(undefined);
  return found;
}

/** A literal as a reason: `invalid: ` followed by concatenated text is `invalid: …`. */
function asReason(literal) {
  if (!PREFIX.test(literal)) return undefined;
  return /^[a-z-]+: $/.test(literal) ? literal + WILDCARD : literal;
}

function sourceFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) sourceFiles(path, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every prefixed reason in the relay's source: `{ reason, file }`. */
function reasonsInSource() {
  const reasons = [];
  for (const group of ['libs', 'services', 'apps']) {
    for (const pkg of readdirSync(join(ROOT, group))) {
      const src = join(ROOT, group, pkg, 'src');
      if (!existsSync(src)) continue;
      for (const path of sourceFiles(src)) {
        const file = relative(ROOT, path);
        if (isTestOnly(file)) continue;
        for (const literal of stringLiterals(readFileSync(path, 'utf8'))) {
          const reason = asReason(literal);
          if (reason !== undefined) reasons.push({ reason, file });
        }
      }
    }
  }
  return reasons;
}

/** The catalogue's rows: code, the reason patterns (backticked) and the files named. */
export function catalogueRows(markdown) {
  const start = markdown.indexOf(CATALOGUE_HEADING);
  assert.ok(start >= 0, `docs/errors.md has a "${CATALOGUE_HEADING}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const backticked = (cell) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `E_'))
    .map((line) => {
      const cells = line.slice(1, -1).split(' | ');
      assert.equal(cells.length, 5, `5 columns in: ${line}`);
      return {
        code: backticked(cells[0])[0],
        patterns: backticked(cells[1]),
        files: backticked(cells[3]),
      };
    });
}

/**
 * Does a catalogue pattern cover a reason? `…` stands for any text. A pattern that is only a
 * prefix and `…` (e.g. `invalid: …`) covers only a reason built the same way, so it cannot
 * swallow every reason of its prefix.
 */
export function covers(pattern, reason) {
  if (pattern === reason) return true;
  if (/^[a-z-]+: …$/.test(pattern)) return false;
  const parts = pattern.split(WILDCARD).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`).test(reason);
}

test('the matcher: wildcards, and a generic pattern does not cover specific reasons', () => {
  assert.ok(
    covers('restricted: too many subscriptions (max …)', 'restricted: too many subscriptions (max …)'),
  );
  assert.ok(covers('pow: difficulty … is less than …', 'pow: difficulty … is less than …'));
  assert.ok(covers('invalid: …', 'invalid: …'));
  assert.ok(!covers('invalid: …', 'invalid: bad signature'));
  assert.ok(!covers('invalid: bad signature', 'invalid: bad signatures'));
  assert.deepEqual(
    stringLiterals(
      "const a = /'x/; // 'no'\n/* `no` */ f(`error: $" + '{g(\'y\')} z`, "b: c"); x = 1 / 2 / 3;',
    ),
    ['y', `error: ${WILDCARD} z`, 'b: c'],
  );
});

test('a reason missing from the catalogue is reported', () => {
  const rows = catalogueRows(readFileSync(DOC, 'utf8'));
  const made = 'blocked: a reason nobody catalogued';
  assert.ok(!rows.some((row) => row.patterns.some((p) => covers(p, made))));
});

test('every prefixed reason in the source has a row in docs/errors.md, with a stable code', () => {
  const rows = catalogueRows(readFileSync(DOC, 'utf8'));
  const codes = rows.map((row) => row.code);
  assert.deepEqual(
    codes.filter((code, i) => codes.indexOf(code) !== i),
    [],
    'each code appears once',
  );
  for (const row of rows) {
    assert.match(row.code, /^E_[A-Z0-9_]+$/);
    assert.ok(row.patterns.length > 0, `${row.code} gives its reason text`);
    for (const p of row.patterns) assert.notEqual(p.replaceAll(WILDCARD, '').trim(), '', `${row.code}: ${p}`);
    for (const file of row.files) assert.ok(existsSync(join(ROOT, file)), `${row.code}: ${file} exists`);
  }
  const reasons = reasonsInSource();
  console.log(`${reasons.length} reason literals in the source, ${rows.length} catalogue rows`);
  assert.ok(reasons.length >= 50, 'the scanner finds the reasons (a sanity floor)');
  const missing = reasons
    .filter(({ reason }) => !rows.some((row) => row.patterns.some((p) => covers(p, reason))))
    .map(({ reason, file }) => `${file}: ${reason}`);
  assert.deepEqual(missing, [], 'add a row (code, text, answer, file, what to do) to docs/errors.md');
});

test('every parser error code has a row in docs/errors.md', () => {
  const errors = readFileSync(join(ROOT, 'libs/protocol/src/errors.ts'), 'utf8');
  const doc = readFileSync(DOC, 'utf8');
  const codes = [...errors.matchAll(/\|\s*'(E_[A-Z_]+)'/g)].map((m) => m[1]);
  assert.ok(codes.length > 10);
  for (const code of codes) assert.ok(doc.includes(`| \`${code}\` |`), `${code} is in docs/errors.md`);
});
