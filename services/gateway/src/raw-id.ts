const HEX64 = /^[0-9a-f]{64}$/;

function isHexAt(text: string, start: number): boolean {
  if (start + 64 > text.length) return false;
  for (let i = start; i < start + 64; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/**
 * The `id` of a raw event JSON text without parsing the whole event: the first `"id"` key
 * whose quote is not escaped (a quote inside a string is always escaped, and an event's only
 * nested values are arrays, so an unescaped `"id":` can only be the event's key). Falls back to
 * `JSON.parse` for anything unusual; undefined when there is no valid id.
 */
export function rawEventId(raw: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = raw.indexOf('"id"', from);
    if (at < 0) break;
    from = at + 4;
    let slashes = 0;
    for (let j = at - 1; j >= 0 && raw.charCodeAt(j) === 92; j--) slashes++;
    if (slashes % 2 === 1) continue;
    let i = skipSpace(raw, at + 4);
    if (raw.charCodeAt(i) !== 58 /* : */) continue;
    i = skipSpace(raw, i + 1);
    if (raw.charCodeAt(i) !== 34 /* " */) break;
    if (isHexAt(raw, i + 1) && raw.charCodeAt(i + 65) === 34) return raw.slice(i + 1, i + 65);
    break;
  }
  try {
    const id = (JSON.parse(raw) as { id?: unknown }).id;
    return typeof id === 'string' && HEX64.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}
