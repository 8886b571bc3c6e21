/**
 * Fuzz cases, generated rather than hand-written: a table of verbs × fields × bad values, huge
 * arrays and deep nesting within the frame size; the seeded mutator of valid messages is in
 * fuzz-mutations.ts. Each case carries the answer NIP-01 requires (see `expectedAnswer`).
 */

import { newKeys, nowSec, randomHex, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { expectedAnswer, type FuzzCase } from './fuzz-oracle.js';

/** Nesting depth of the deep values: 10,000 levels, well within the frame size. */
const DEEP = 10_000;

/** Bad values as raw JSON text (so numbers JSON cannot round-trip, like 1e400, reach the relay as sent). */
export const BAD_VALUES: readonly (readonly [label: string, json: string])[] = [
  ['null', 'null'],
  ['true', 'true'],
  ['0', '0'],
  ['-1', '-1'],
  ['-0', '-0'],
  ['1.5', '1.5'],
  ['2^53-1', '9007199254740991'],
  ['2^53', '9007199254740992'],
  ['-2^53', '-9007199254740992'],
  ['1e308', '1e308'],
  ['-1e308', '-1e308'],
  ['1e400 (Infinity)', '1e400'],
  ['5e-324', '5e-324'],
  ['"NaN"', '"NaN"'],
  ['"Infinity"', '"Infinity"'],
  ['"-1"', '"-1"'],
  ['""', '""'],
  ['NUL', '"\\u0000"'],
  ['control characters', '"\\u0001\\b\\u001f\\u007f\\u2028\\u0085"'],
  ['lone surrogate', '"\\ud800x"'],
  ['20,000-char string', JSON.stringify('x'.repeat(20_000))],
  ['[]', '[]'],
  ['[null]', '[null]'],
  ['{}', '{}'],
  ['{"a":1}', '{"a":1}'],
  ['[1e400]', '[1e400]'],
  ['[-1]', '[-1]'],
  ['[2^53]', '[9007199254740992]'],
  ['[NUL]', '["\\u0000"]'],
  ['["x"]', '["x"]'],
  ['10,000-deep array', '['.repeat(DEEP) + ']'.repeat(DEEP)],
  ['10,000-deep object', '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP)],
];

/** Marks where `fill` puts a bad value's raw JSON text. */
export const HOLE = '\u0001fuzz-hole';
const HOLE_JSON = JSON.stringify(HOLE);

/** `message` as JSON with the value `HOLE` replaced by the raw JSON text `value`. */
export function fill(message: unknown, value: string): string {
  return JSON.stringify(message).replace(HOLE_JSON, () => value);
}

type Path = readonly (string | number)[];

/** A deep copy of `value` with the element at `path` set to `HOLE`. */
function withHole(value: unknown, path: Path): unknown {
  const copy = JSON.parse(JSON.stringify(value)) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = HOLE;
  return copy;
}

/** Filter keys the table puts bad values into: every NIP-01 key, plus keys no NIP defines. */
const FILTER_KEYS = [
  'ids',
  'authors',
  'kinds',
  'since',
  'until',
  'limit',
  'search',
  '#e',
  '#t',
  '#Z',
] as const;
const ODD_FILTER_KEYS = [
  '',
  '#',
  '#1',
  '#tt',
  `#${'t'.repeat(1000)}`,
  'IDS',
  'unknown',
  '__proto__',
  'constructor',
];

/** The table: every field (and the verb and the message itself) of every verb × every bad value. */
export function tableCases(base: NostrEvent, auth: NostrEvent, servable: ReadonlySet<string>): FuzzCase[] {
  const cases: FuzzCase[] = [];
  let seq = 0;
  const add = (name: string, frame: string): void => {
    cases.push({ name, frame, expected: expectedAnswer(frame, servable) });
  };
  const eventPaths: Path[] = [
    ...Object.keys(base).map((k) => [k]),
    ['tags', 0],
    ['tags', 0, 0],
    ['tags', 0, 1],
  ];
  const tagged = { ...base, tags: [['t', 'fuzz']] };
  for (const [label, value] of BAD_VALUES) {
    for (const path of eventPaths) {
      add(`EVENT ${path.join('.')} = ${label}`, fill(['EVENT', withHole(tagged, path)], value));
    }
    for (const key of Object.keys(auth))
      add(`AUTH ${key} = ${label}`, fill(['AUTH', withHole(auth, [key])], value));
    add(`EVENT with an extra element ${label}`, fill(['EVENT', base, HOLE], value));
    add(`EVENT event = ${label}`, fill(['EVENT', HOLE], value));
    add(`AUTH event = ${label}`, fill(['AUTH', HOLE], value));
    for (const verb of ['REQ', 'COUNT'] as const) {
      add(`${verb} sub id = ${label}`, fill([verb, HOLE, { limit: 1 }], value));
      add(`${verb} filter = ${label}`, fill([verb, `t${seq++}`, HOLE], value));
      for (const key of FILTER_KEYS) {
        add(`${verb} ${key} = ${label}`, fill([verb, `t${seq++}`, { [key]: HOLE }], value));
      }
      add(`${verb} kinds[0] = ${label}`, fill([verb, `t${seq++}`, { kinds: [1, HOLE] }], value));
      add(`${verb} #t[0] = ${label}`, fill([verb, `t${seq++}`, { '#t': ['a', HOLE] }], value));
    }
    add(`CLOSE sub id = ${label}`, fill(['CLOSE', HOLE], value));
    // NIP-77 (an empty client set's first message: one IdList range to infinity).
    add(`NEG-OPEN sub id = ${label}`, fill(['NEG-OPEN', HOLE, { limit: 1 }, '6100000200'], value));
    add(`NEG-OPEN filter = ${label}`, fill(['NEG-OPEN', `t${seq++}`, HOLE, '6100000200'], value));
    add(`NEG-OPEN message = ${label}`, fill(['NEG-OPEN', `t${seq++}`, { limit: 1 }, HOLE], value));
    add(`NEG-MSG message = ${label}`, fill(['NEG-MSG', `t${seq++}`, HOLE], value));
    add(`NEG-CLOSE sub id = ${label}`, fill(['NEG-CLOSE', HOLE], value));
    add(`CLOSE with an extra element ${label}`, fill(['CLOSE', `t${seq++}`, HOLE], value));
    add(`verb = ${label}`, fill([HOLE, `t${seq++}`, {}], value));
    add(`message = ${label}`, value);
  }
  for (const key of ODD_FILTER_KEYS) {
    add(
      `REQ filter key ${JSON.stringify(key.slice(0, 12))}`,
      JSON.stringify(['REQ', `t${seq++}`, { [key]: ['x'] }]),
    );
  }
  for (const verb of [
    'event',
    'Req',
    'EVENTS',
    'NOTICE',
    'EOSE',
    'OK',
    'CLOSED',
    'AUTH ',
    'x'.repeat(10_000),
  ]) {
    add(`unknown verb ${JSON.stringify(verb.slice(0, 12))}`, JSON.stringify([verb, 'x', {}]));
  }
  for (const key of Object.keys(base)) {
    const { [key]: _dropped, ...rest } = base as unknown as Record<string, unknown>;
    add(`EVENT without ${key}`, JSON.stringify(['EVENT', rest]));
  }
  add('EVENT with an unknown key', JSON.stringify(['EVENT', { ...base, extra: 1 }]));
  add('REQ sub id of 64 emoji halves', JSON.stringify(['REQ', '\u{1F600}'.repeat(32), { limit: 1 }]));
  add(
    'REQ sub id of 33 emoji (66 UTF-16 units)',
    JSON.stringify(['REQ', '\u{1F600}'.repeat(33), { limit: 1 }]),
  );
  add('REQ sub id 10,000 chars', JSON.stringify(['REQ', 's'.repeat(10_000), { limit: 1 }]));
  add('REQ sub id with control characters', JSON.stringify(['REQ', '\u0000\u0001\n', { limit: 1 }]));
  add('REQ with 21 filters', JSON.stringify(['REQ', `t${seq++}`, ...Array.from({ length: 21 }, () => ({}))]));
  for (const frame of [
    '',
    ' ',
    '[',
    ']',
    '[]',
    '{}',
    '"REQ"',
    '["REQ"]',
    '["EVENT"]',
    '["CLOSE"]',
    'nul',
    '\ufeff[]',
  ]) {
    add(`frame ${JSON.stringify(frame)}`, frame);
  }
  return cases;
}

/**
 * Huge arrays (as many elements as fit under `maxBytes`) and deep nesting in every place a
 * client can put them; signed events with control characters, NUL and extreme numbers.
 */
export function bulkCases(maxBytes: number, servable: Set<string>): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const room = maxBytes - 2048;
  const add = (name: string, frame: string): void => {
    if (frame.length > maxBytes) throw new Error(`case "${name}" is ${frame.length} bytes, over ${maxBytes}`);
    cases.push({ name, frame, expected: expectedAnswer(frame, servable) });
  };
  const fits = (perItem: number, cap: number) => Math.min(cap, Math.floor(room / perItem));
  const kinds = Array.from({ length: fits(2, 100_000) }, (_, i) => i % 10);
  add(`REQ with ${kinds.length} kinds`, JSON.stringify(['REQ', 'k', { kinds }]));
  add(`COUNT with ${kinds.length} kinds`, JSON.stringify(['COUNT', 'kc', { kinds }]));
  const ids = Array.from({ length: fits(67, 100_000) }, () => randomHex());
  add(`REQ with ${ids.length} ids`, JSON.stringify(['REQ', 'i', { ids }]));
  add(
    `REQ with ${ids.length} authors, the last invalid`,
    JSON.stringify(['REQ', 'a', { authors: [...ids.slice(1), 'x'] }]),
  );
  const values = Array.from({ length: fits(4, 100_000) }, (_, i) => String.fromCharCode(97 + (i % 26)));
  add(`REQ with ${values.length} #t values`, JSON.stringify(['REQ', 't', { '#t': values }]));
  add(`COUNT with ${values.length} #p values`, JSON.stringify(['COUNT', 'tc', { '#p': values }]));
  const perFilter = Array.from({ length: fits(40, 100_000) }, (_, i) => i % 10);
  const filters = Array.from({ length: 20 }, () => ({ kinds: perFilter }));
  add('REQ with 20 filters of huge kinds', JSON.stringify(['REQ', 'f', ...filters]));
  const deep = (open: string, close: string, n: number) => open.repeat(n) + close.repeat(n);
  const depth = fits(2, 100_000);
  add(`a message nested ${depth} deep`, deep('[', ']', depth));
  add(`REQ filter nested ${depth} deep`, `["REQ","d",${deep('[', ']', depth)}]`);
  add(`REQ #t nested ${depth} deep`, `["REQ","d",{"#t":${deep('[', ']', depth)}}]`);
  add(
    `COUNT unknown key nested ${DEEP * 2} deep`,
    `["COUNT","d",{"x":${deep('{"a":', '}', DEEP * 2).replace('{"a":}', '{"a":1}')}}]`,
  );
  add(`EVENT nested ${depth} deep`, `["EVENT",${deep('[', ']', depth)}]`);
  const keys = newKeys();
  const signed = (name: string, draft: Parameters<typeof signEvent>[1]): void => {
    const e = signEvent(keys, draft);
    servable.add(JSON.stringify(e));
    add(name, JSON.stringify(['EVENT', e]));
  };
  const e0 = signEvent(keys);
  const deepTags = `["EVENT",${JSON.stringify({ ...e0, tags: 'HOLE' }).replace('"HOLE"', () => deep('[', ']', depth - 200))}]`;
  add('EVENT with tags nested deep', deepTags);
  const manyTags = Array.from({ length: fits(6, 100_000) }, () => ['t']);
  add(`EVENT with ${manyTags.length} tags`, JSON.stringify(['EVENT', signEvent(keys, { tags: manyTags })]));
  signed(`EVENT with one tag of ${values.length} elements`, { tags: [['t', ...values]] });
  signed('EVENT with NUL in content', { content: 'a\u0000b' });
  signed('EVENT with NUL in a tag value', { tags: [['t', 'a\u0000b']] });
  signed('EVENT with control characters in content', { content: '\u0001\b\u001f\u007f\u2028\u0085' });
  signed('EVENT with a lone surrogate in content', { content: 'x\ud800y' });
  signed('EVENT with a 1,000-char tag name', { tags: [['t'.repeat(1000), 'v']] });
  signed('EVENT of kind 65535', { kind: 65535 });
  signed('EVENT created at 0', { created_at: 0 });
  signed('EVENT created at 2^53-1', { created_at: Number.MAX_SAFE_INTEGER });
  signed('EVENT created now with an empty tag name', { created_at: nowSec(), tags: [['', '']] });
  return cases;
}
