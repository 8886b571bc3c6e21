import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closedFrame, okFrame } from '@nrelay/protocol';
import { createAnswerTally, tallyAnswer } from './answer-tally.js';

const ID = 'a'.repeat(64);

test('OK frames are counted by acceptance and reason prefix', () => {
  const tally = createAnswerTally();
  tallyAnswer(tally, 'OK', okFrame(ID, true, ''));
  tallyAnswer(tally, 'OK', okFrame(ID, true, 'duplicate: already have this event'));
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'rate-limited: slow down'));
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'invalid: bad signature'));
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'something odd'));
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'auth-required: we only accept events from registered users'));
  assert.equal(tally.okTrue.none, 1);
  assert.equal(tally.okTrue.duplicate, 1);
  assert.equal(tally.okFalse['rate-limited'], 1);
  assert.equal(tally.okFalse.invalid, 1);
  assert.equal(tally.okFalse.other, 1);
  assert.equal(tally.okFalse['auth-required'], 1);
});

test('CLOSED frames are counted by reason prefix, whatever the subscription id holds', () => {
  const tally = createAnswerTally();
  tallyAnswer(tally, 'CLOSED', closedFrame('sub","x\\"', 'restricted: too many subscriptions (max 20)'));
  tallyAnswer(tally, 'CLOSED', closedFrame('s', 'rate-limited: too many REQs'));
  tallyAnswer(tally, 'CLOSED', closedFrame('s', 'error: could not query stored events'));
  tallyAnswer(tally, 'CLOSED', closedFrame('s', ''));
  assert.equal(tally.closed.restricted, 1);
  assert.equal(tally.closed['rate-limited'], 1);
  assert.equal(tally.closed.error, 1);
  assert.equal(tally.closed.none, 1);
});

test('a prefix needs its colon and a reason shorter than a prefix is other', () => {
  const tally = createAnswerTally();
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'invalid'));
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'pow'));
  tallyAnswer(tally, 'OK', okFrame(ID, false, 'pow: difficulty 8 is less than 20'));
  assert.equal(tally.okFalse.other, 2);
  assert.equal(tally.okFalse.pow, 1);
});

test('binary frames are not answers and are ignored', () => {
  const tally = createAnswerTally();
  tallyAnswer(tally, 'OK', Buffer.from(okFrame(ID, true, '')));
  assert.equal(tally.okTrue.none, 0);
});
