import assert from 'node:assert/strict';
import { test } from 'node:test';
import { postgresBackend } from './testing/backends.js';
import { ev } from './testing/events.js';
import { readReplayPosition, readWalPosition } from './wal-position.js';

/** `X/Y` as one number. */
const position = (text: string) => {
  const [high, low] = text.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
};

test('the WAL position moves past a save; a primary has no replay position', async () => {
  const { store, database, dispose } = await postgresBackend.open(2);
  try {
    const before = position(await readWalPosition(database.db));
    assert.deepEqual(await store.save([ev({ content: 'moves the WAL' })]), [{ status: 'stored' }]);
    const after = position(await readWalPosition(database.db));
    assert.ok(after > before, `${after} > ${before}`);
    assert.equal((await readReplayPosition(database.db)).lsn, undefined);
  } finally {
    await dispose();
  }
});
