import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LineSplitter, ndjsonEventLine, ndjsonEventLines } from './ndjson.js';

test('lines cut anywhere across chunks come out whole', () => {
  const text = '{"a":1}\n{"b":"\u00e9\u4e2d"}\n\n{"c":3}\n{"partial"';
  const expected = ['{"a":1}', '{"b":"\u00e9\u4e2d"}', '', '{"c":3}'];
  for (let size = 1; size <= text.length; size++) {
    const splitter = new LineSplitter();
    const lines: string[] = [];
    for (let i = 0; i < text.length; i += size) lines.push(...splitter.push(text.slice(i, i + size)));
    assert.deepEqual(lines, expected, `chunk size ${size}`);
    assert.equal(splitter.rest, '{"partial"');
  }
});

test('event text with newlines (JSON whitespace) becomes one line meaning the same', () => {
  const event = { id: 'x', content: 'a\nb' };
  const pretty = JSON.stringify(event, null, 2);
  const line = ndjsonEventLine(pretty);
  assert.equal(line.includes('\n'), false);
  assert.deepEqual(JSON.parse(line), event);
  const compact = JSON.stringify(event);
  assert.equal(ndjsonEventLine(compact), compact);
});

test('a batch of events is one text of lines that splits back into the same events', () => {
  const raws = ['{"id":"a"}', JSON.stringify({ id: 'b', content: 'x\ny' }, null, 1), '{"id":"c"}'];
  const text = ndjsonEventLines(raws);
  assert.equal(text.endsWith('\n'), true);
  const lines = new LineSplitter().push(text);
  assert.deepEqual(
    lines.map((line) => JSON.parse(line)),
    raws.map((raw) => JSON.parse(raw)),
  );
  assert.equal(ndjsonEventLines([]), '');
});
