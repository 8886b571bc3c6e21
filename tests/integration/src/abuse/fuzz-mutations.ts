/**
 * Seeded random mutations of valid messages: structural edits (a node replaced by a bad value,
 * removed, duplicated, an unknown key added) and text edits (truncation, a character inserted
 * or deleted). Each case carries the answer NIP-01 requires (see `expectedAnswer`).
 */
import { seededRandom } from '@nrelay/protocol/testing';
import { BAD_VALUES, fill, HOLE } from './fuzz-cases.js';
import { expectedAnswer, type FuzzCase } from './fuzz-oracle.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every [container, key] in `value`, for picking a node to mutate. */
type Slot = [container: Json[] | { [key: string]: Json }, key: string | number];

/** Stop descending here: a deep value inserted by an earlier edit is mutated as a whole. */
const SLOT_DEPTH = 32;

function slots(value: Json, out: Slot[] = [], depth = 0): Slot[] {
  if (depth > SLOT_DEPTH) return out;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      out.push([value, i]);
      slots(value[i]!, out, depth + 1);
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([value, k]);
      slots(v, out, depth + 1);
    }
  }
  return out;
}

/** Removes (op 1), duplicates (op 2) or adds an unknown key next to (op 3) the slot. */
function editSlot([parent, key]: Slot, op: number, fresh: string): void {
  if (Array.isArray(parent)) {
    if (op === 1) parent.splice(key as number, 1);
    else if (op === 2) parent.push(parent[key as number]!);
    return;
  }
  if (op === 1) delete parent[key];
  else if (op === 2) parent[`${key}_`] = parent[key]!;
  else parent[fresh] = 1;
}

/**
 * One structural edit of `frame`: a node replaced by a bad value (op 0), removed, duplicated or
 * given an unknown sibling key. Undefined when `frame` is no JSON (an earlier text edit broke
 * it) or is nested too deep to serialize again.
 */
function structuralEdit(
  frame: string,
  op: number,
  pick: <T>(xs: readonly T[]) => T,
  fresh: string,
): { frame: string; label: string } | undefined {
  try {
    const tree = JSON.parse(frame) as Json;
    const all = slots(tree);
    if (all.length === 0) return undefined;
    const slot = pick(all);
    const key = slot[1];
    if (op === 0) {
      const [label, value] = pick(BAD_VALUES);
      (slot[0] as Record<string | number, Json>)[key] = HOLE;
      return { frame: fill(tree, value), label: `${key}=${label}` };
    }
    editSlot(slot, op, fresh);
    return { frame: JSON.stringify(tree), label: `${['remove', 'duplicate', 'add key'][op - 1]} ${key}` };
  } catch {
    return undefined;
  }
}

const SPLICE_CHARS = ['"', '[', ']', '{', '}', ',', ':', '\\', '\u0000', ' ', '1', '-', 'e', 'x', '\u00ff'];

/**
 * `count` mutations of `templates` (valid messages), reproducible from `seed`: one to three
 * structural edits (a node replaced by a bad value, removed, duplicated, an unknown key added)
 * or text edits (truncation, a character inserted or deleted).
 */
export function mutatedCases(
  seed: number,
  count: number,
  templates: readonly string[],
  servable: ReadonlySet<string>,
): FuzzCase[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const cases: FuzzCase[] = [];
  for (let n = 0; n < count; n++) {
    const template = pick(templates);
    let frame = template.replace('"SUB"', `"m${n}"`);
    const edits: string[] = [];
    for (let e = 1 + Math.floor(rnd() * 3); e > 0; e--) {
      // One edit in five is a text edit: most of those break the JSON, answered by a NOTICE.
      const op = rnd() < 0.2 ? 4 + Math.floor(rnd() * 3) : Math.floor(rnd() * 4);
      if (op >= 4) {
        const at = Math.floor(rnd() * (frame.length + 1));
        if (op === 4) frame = frame.slice(0, at);
        else if (op === 5) frame = frame.slice(0, at) + pick(SPLICE_CHARS) + frame.slice(at);
        else frame = frame.slice(0, at) + frame.slice(at + 1);
        edits.push(['truncate', 'insert', 'delete'][op - 4]! + `@${at}`);
        continue;
      }
      const edited = structuralEdit(frame, op, pick, `fuzz${n}`);
      if (edited === undefined) continue;
      frame = edited.frame;
      edits.push(edited.label);
    }
    cases.push({
      name: `mutation ${n} (${edits.join(', ') || 'none'})`,
      frame,
      expected: expectedAnswer(frame, servable),
    });
  }
  return cases;
}
