import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { FanoutWatchdog, type FanoutWatchdogOptions } from './fanout-watchdog.js';
import { beats, FakeFence, GRACE, HEARTBEAT, quiet, settle, TIMEOUT } from './fanout-watchdog-fixtures.js';

function watchdogOn(bus: FakeFence, overrides: Partial<FanoutWatchdogOptions> = {}) {
  const calls: string[] = [];
  const dog = new FanoutWatchdog({
    fanout: bus,
    heartbeatMs: HEARTBEAT,
    timeoutMs: TIMEOUT,
    graceMs: GRACE,
    logger: quiet,
    onLost: (cause) => calls.push(`lost:${cause}`),
    onOutage: async () => {
      calls.push('outage');
      return 3;
    },
    onRestored: ({ wasOut, byHeartbeat }) =>
      calls.push(`restored:${wasOut ? 'out' : 'in-grace'}:${byHeartbeat ? 'heartbeat' : 'continuity'}`),
    ...overrides,
  });
  return { dog, calls };
}

/** `beats(n)` with every fence answered on each beat: a healthy Redis. */
async function answeredBeats(bus: FakeFence, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    bus.answerAll();
    await settle();
    await beats(1);
  }
  bus.answerAll();
  await settle();
}

describe('FanoutWatchdog', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  it('stays live while every fence is answered, with one PING in flight at a time', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    for (let i = 0; i < 10; i++) {
      assert.equal(bus.fences.length, 1, `fences in flight at beat ${i}`);
      bus.answerAll();
      await settle();
      await beats(1);
    }
    assert.equal(dog.state, 'live');
    assert.deepEqual(calls, []);
    dog.stop();
  });

  it('a fence unanswered past the timeout is a loss; past the grace an outage; an answer restores', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    // The first fence hangs (a silently cut link): no second PING until it is overdue.
    await beats(2);
    assert.equal(bus.fences.length, 1);
    await beats(1);
    assert.equal(dog.state, 'lost', 'lost once the first PING is TIMEOUT old');
    assert.deepEqual(calls, ['lost:heartbeat']);
    // The grace counts from when that PING was sent (t=0): out at t=GRACE.
    await beats(1);
    assert.equal(dog.state, 'lost');
    await beats(1);
    assert.equal(dog.state, 'out');
    assert.deepEqual(calls, ['lost:heartbeat', 'outage']);
    await settle();
    assert.equal(dog.stats.closes, 3, 'the connections the outage closed are counted');
    await beats(5);
    assert.ok(bus.fences.length >= 2, 'an overdue PING is followed by another one');
    assert.deepEqual(calls, ['lost:heartbeat', 'outage'], 'the outage is reported once');
    bus.answerAll();
    await settle();
    assert.equal(dog.state, 'live');
    assert.deepEqual(calls, ['lost:heartbeat', 'outage', 'restored:out:heartbeat']);
    assert.deepEqual({ losses: dog.stats.losses, outages: dog.stats.outages }, { losses: 1, outages: 1 });
    dog.stop();
  });

  it('a loss shorter than the grace takes nothing out of service', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    await beats(3);
    assert.equal(dog.state, 'lost');
    await answeredBeats(bus, 10);
    assert.equal(dog.state, 'live');
    assert.deepEqual(calls, ['lost:heartbeat', 'restored:in-grace:heartbeat']);
    dog.stop();
  });

  it('a rejected fence is a loss at once, a loud one: never out of service, however long', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    bus.refuse = new Error('fanout subscriber is not subscribed');
    dog.start();
    await settle();
    assert.equal(dog.state, 'lost');
    await beats(60);
    assert.equal(dog.state, 'lost');
    assert.deepEqual(calls, ['lost:heartbeat']);
    bus.refuse = undefined;
    await beats(1);
    bus.answerAll();
    await settle();
    assert.equal(dog.state, 'live');
    dog.stop();
  });

  it('a broken continuity is a loss; fences do not restore it until the bus says restored', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    bus.answerAll();
    await settle();
    bus.watcher?.('broken');
    assert.equal(dog.state, 'lost');
    // A stale PING answered after the drop proves nothing about the new connection.
    await beats(1);
    bus.answerAll();
    await settle();
    assert.equal(dog.state, 'lost', 'a fence answer during an open gap does not restore');
    bus.watcher?.('restored');
    assert.equal(bus.fences.length, 1, 'restored sends a PING at once');
    bus.answerAll();
    await settle();
    assert.equal(dog.state, 'live');
    assert.deepEqual(calls, ['lost:continuity', 'restored:in-grace:continuity']);
    dog.stop();
  });

  it('Redis down (broken, fences refused, a PING of the old connection never answered) never suspends', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    bus.answerAll();
    await settle();
    await beats(1);
    assert.equal(bus.fences.length, 1, 'a PING in flight when the connection drops');
    bus.watcher?.('broken');
    bus.refuse = new Error('not subscribed');
    await beats(30);
    assert.equal(dog.state, 'lost');
    bus.refuse = undefined;
    bus.watcher?.('restored');
    await answeredBeats(bus, 10);
    assert.equal(dog.state, 'live');
    assert.ok(!calls.includes('outage'), `calls: ${calls.join(', ')}`);
    dog.stop();
  });

  it('a silent loss that turns loud after the grace stays out until a PING is answered', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    await beats(6);
    assert.equal(dog.state, 'out');
    bus.watcher?.('broken');
    bus.refuse = new Error('not subscribed');
    await beats(5);
    assert.equal(dog.state, 'out');
    bus.refuse = undefined;
    bus.watcher?.('restored');
    await answeredBeats(bus, 1);
    assert.equal(dog.state, 'live');
    assert.deepEqual(calls, ['lost:heartbeat', 'outage', 'restored:out:continuity']);
    dog.stop();
  });

  it('a grace of 0 goes out of service on the beat that sees the loss', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus, { graceMs: 0 });
    dog.start();
    await beats(3);
    assert.deepEqual(calls, ['lost:heartbeat', 'outage']);
    dog.stop();
  });

  it('reports nothing once stopped', async () => {
    const bus = new FakeFence();
    const { dog, calls } = watchdogOn(bus);
    dog.start();
    dog.stop();
    assert.equal(bus.watcher, undefined, 'the continuity listener is removed');
    await beats(20);
    assert.deepEqual(calls, []);
    assert.equal(bus.fences.length, 1, 'no PING after stop');
  });
});
