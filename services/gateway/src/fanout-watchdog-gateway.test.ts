import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { FEED_LOST_NOTICE, watchGatewayFeed } from './fanout-watchdog.js';
import { beats, FakeFence, GRACE, HEARTBEAT, quiet, settle, TIMEOUT } from './fanout-watchdog-fixtures.js';

describe('watchGatewayFeed', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval', 'Date'], now: 1_000_000 }));
  afterEach(() => mock.timers.reset());

  const settings = {
    FANOUT_HEARTBEAT_MS: HEARTBEAT,
    FANOUT_HEARTBEAT_TIMEOUT_MS: TIMEOUT,
    FANOUT_LOSS_GRACE_MS: GRACE,
  };

  it('is off with FANOUT_HEARTBEAT_MS=0', () => {
    const off = watchGatewayFeed(
      { ...settings, FANOUT_HEARTBEAT_MS: 0 },
      { gateway: { suspend: async () => 0, resume() {} }, fanout: new FakeFence(), logger: quiet },
    );
    assert.equal(off, undefined);
  });

  it('a silent loss: the hot window cold, the gateway suspended with the feed-lost notice, then resumed and re-warmed', async () => {
    const bus = new FakeFence();
    const calls: string[] = [];
    const watch = watchGatewayFeed(settings, {
      gateway: {
        suspend: async (why) => {
          calls.push(`suspend:${why.close}`);
          return 1;
        },
        resume: () => calls.push('resume'),
      },
      fanout: bus,
      hotWindow: { markCold: (reason) => calls.push(`cold:${reason}`) },
      logger: quiet,
    });
    assert.ok(watch);
    watch.start();
    await beats(6);
    assert.deepEqual(calls, [
      'cold:the fanout heartbeat went unanswered',
      `suspend:${FEED_LOST_NOTICE.close}`,
    ]);
    bus.answerAll();
    await settle();
    assert.deepEqual(calls.slice(2), ['resume', 'cold:the fanout heartbeat is answered again after a loss']);
    watch.stop();
  });

  it('a loss the bus reports itself leaves the hot window to the feed', async () => {
    const bus = new FakeFence();
    const calls: string[] = [];
    const watch = watchGatewayFeed(settings, {
      gateway: { suspend: async () => 0, resume: () => calls.push('resume') },
      fanout: bus,
      hotWindow: { markCold: (reason) => calls.push(`cold:${reason}`) },
      logger: quiet,
    });
    watch?.start();
    bus.answerAll();
    await settle();
    bus.watcher?.('broken');
    bus.watcher?.('restored');
    bus.answerAll();
    await settle();
    assert.deepEqual(calls, ['resume']);
    watch?.stop();
  });
});
