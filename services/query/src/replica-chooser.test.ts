import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseReplica, isReplicaDown, type ReplicaView } from './replica-chooser.js';

const at = (replayed: bigint | undefined, unhealthyUntil = 0): ReplicaView => ({ replayed, unhealthyUntil });

test('only a healthy replica at or past the bound is chosen, in turn from the cursor', () => {
  const replicas = [at(100n), at(300n), at(200n)];
  assert.equal(chooseReplica(replicas, 150n, 0, 0), 1);
  assert.equal(chooseReplica(replicas, 150n, 0, 2), 2);
  assert.equal(chooseReplica(replicas, 150n, 0, 3 % 3), 1);
  assert.equal(chooseReplica(replicas, 100n, 0, 0), 0, 'equal to the bound is enough');
  assert.equal(chooseReplica(replicas, 301n, 0, 0), undefined, 'all behind: none');
  // Round robin: starting after each pick visits every caught-up replica.
  const picks: number[] = [];
  let cursor = 0;
  for (let k = 0; k < 6; k++) {
    const i = chooseReplica(replicas, 0n, 0, cursor) as number;
    picks.push(i);
    cursor = (i + 1) % replicas.length;
  }
  assert.deepEqual(picks, [0, 1, 2, 0, 1, 2]);
});

test('a replica set aside or never read is skipped until its time is up', () => {
  const replicas = [at(500n, 1000), at(undefined), at(400n)];
  assert.equal(chooseReplica(replicas, 300n, 999, 0), 2);
  assert.equal(chooseReplica(replicas, 450n, 999, 0), undefined);
  assert.equal(chooseReplica(replicas, 450n, 1000, 0), 0, 'healthy again at unhealthyUntil');
  assert.equal(chooseReplica([], 0n, 0, 0), undefined);
});

test('connection and shutdown errors set a replica aside; a cancelled statement does not', () => {
  assert.equal(isReplicaDown(undefined), true, 'ECONNREFUSED and the like carry no SQLSTATE');
  assert.equal(isReplicaDown('08006'), true);
  assert.equal(isReplicaDown('57P01'), true);
  assert.equal(isReplicaDown('57P03'), true, 'the standby is starting');
  assert.equal(isReplicaDown('40001'), false, 'conflict with recovery: that read only');
  assert.equal(isReplicaDown('57014'), false);
});
