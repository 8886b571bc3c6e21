import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countAnswer, emptySummary, formatSummary } from './summary.js';

describe('countAnswer', () => {
  it('sorts the pipeline’s answers into stored, duplicate, invalid, failed and rejected', () => {
    const s = emptySummary();
    assert.equal(countAnswer(s, true, ''), 'stored');
    assert.equal(countAnswer(s, true, 'duplicate: already have this event'), 'duplicate');
    assert.equal(countAnswer(s, false, 'invalid: bad signature'), 'invalid');
    assert.equal(countAnswer(s, false, 'invalid: event id does not match its content'), 'invalid');
    assert.equal(countAnswer(s, false, 'error: could not save the event, try again later'), 'failed');
    assert.equal(countAnswer(s, false, 'blocked: this event was deleted by its author'), 'rejected');
    assert.equal(countAnswer(s, false, 'blocked: this event was deleted by its author'), 'rejected');
    assert.equal(countAnswer(s, false, 'invalid: event has expired'), 'rejected');
    assert.deepEqual(
      { ...s, reasons: undefined },
      { ...emptySummary(), stored: 1, duplicate: 1, invalid: 2, failed: 1, rejected: 3, reasons: undefined },
    );
    assert.deepEqual(s.reasons, {
      'blocked: this event was deleted by its author': 2,
      'invalid: event has expired': 1,
    });
    s.read = 8;
    s.seconds = 2;
    assert.match(
      formatSummary('import x', s),
      /^import x: read 8, stored 1, duplicate 1, invalid 2, rejected by policy 3, failed 1 in 2\.0 s \(4 events\/s\)\n {2}2 × blocked:/,
    );
  });
});
