import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Line, readLines } from './lines.js';

async function linesOf(chunks: string[], maxBytes: number): Promise<Line[]> {
  const out: Line[] = [];
  for await (const line of readLines(
    chunks.map((c) => Buffer.from(c)),
    maxBytes,
  ))
    out.push(line);
  return out;
}

describe('readLines', () => {
  it('numbers lines across chunk borders, skips blank ones and drops a trailing CR', async () => {
    const lines = await linesOf(['{"a":1}\n\n{"b"', ':2}\r\n  \n{"c":3}'], 100);
    assert.deepEqual(lines, [
      { n: 1, text: '{"a":1}', bytes: 7 },
      { n: 3, text: '{"b":2}', bytes: 8 },
      { n: 5, text: '{"c":3}', bytes: 7 },
    ]);
  });

  it('reports a line over the bound as too long, whole, and goes on with the next', async () => {
    const long = 'x'.repeat(25);
    const lines = await linesOf(['ok\n', long.slice(0, 10), long.slice(10), '\nnext\n', long], 20);
    assert.deepEqual(lines, [
      { n: 1, text: 'ok', bytes: 2 },
      { n: 2, tooLong: true, bytes: 25 },
      { n: 3, text: 'next', bytes: 4 },
      { n: 4, tooLong: true, bytes: 25 },
    ]);
  });

  it('keeps multi-byte characters split between chunks', async () => {
    const bytes = Buffer.from('"é✓"\n');
    const lines: Line[] = [];
    for await (const line of readLines([bytes.subarray(0, 2), bytes.subarray(2)], 100)) lines.push(line);
    assert.deepEqual(lines, [{ n: 1, text: '"é✓"', bytes: 7 }]);
  });
});
