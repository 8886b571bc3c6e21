import type { Filter } from '@nrelay/protocol';
import { ITEM_RECORD_BYTES } from '@nrelay/protocol';
import { nip77 } from 'nostr-tools';
import type { RemoteRelay } from './remote-relay.js';

/** The remote relay did not take part in NIP-77 (NEG-ERR, a NOTICE, or silence). */
export class NegentropyRefused extends Error {
  override readonly name = 'NegentropyRefused';
}

/** What a reconciliation found: ids only we have (`have`) and ids only they have (`need`). */
export interface Difference {
  have: string[];
  need: string[];
  rounds: number;
}

const ANSWER_TIMEOUT_MS = 15_000;
const TWO_32 = 2 ** 32;

/** nostr-tools' storage filled from the store's packed `(created_at, id)` records, sealed. */
function storageOf(packed: Uint8Array): nip77.NegentropyStorageVector {
  const storage = new nip77.NegentropyStorageVector();
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  for (let at = 0; at < packed.length; at += ITEM_RECORD_BYTES) {
    const createdAt = view.getUint32(at) * TWO_32 + view.getUint32(at + 4);
    storage.insert(createdAt, Buffer.from(packed.subarray(at + 8, at + ITEM_RECORD_BYTES)).toString('hex'));
  }
  storage.seal();
  return storage;
}

/**
 * Runs NIP-77 as the initiator against `remote` over our item set (`packed`, from the store):
 * NEG-OPEN, then NEG-MSG rounds until our side has nothing more to say, then NEG-CLOSE.
 * A NEG-ERR, a NOTICE or no answer within 15 s to a message is `NegentropyRefused`.
 */
export async function reconcileWith(
  remote: RemoteRelay,
  filter: Filter,
  packed: Uint8Array,
  frameBytes: number,
): Promise<Difference> {
  const neg = new nip77.Negentropy(storageOf(packed), frameBytes);
  const sub = 'nrelay-neg';
  const difference: Difference = { have: [], need: [], rounds: 0 };
  const answers: unknown[][] = [];
  let wake: (() => void) | undefined;
  const stop = remote.onFrame(({ message }) => {
    const [verb, id] = message;
    if ((verb === 'NEG-MSG' || verb === 'NEG-ERR') && id === sub) answers.push(message);
    else if (verb === 'NOTICE') answers.push(message);
    else return;
    wake?.();
  });
  const next = async (): Promise<unknown[]> => {
    const deadline = Date.now() + ANSWER_TIMEOUT_MS;
    while (answers.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0)
        throw new NegentropyRefused(
          `no answer to ${difference.rounds === 0 ? 'NEG-OPEN' : 'NEG-MSG'} within ${ANSWER_TIMEOUT_MS / 1000} s`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return answers.shift() as unknown[];
  };
  try {
    if (!remote.send(['NEG-OPEN', sub, filter, neg.initiate()]))
      throw new NegentropyRefused('connection closed');
    for (;;) {
      const [verb, , payload] = await next();
      if (verb === 'NEG-ERR') throw new NegentropyRefused(`NEG-ERR ${String(payload)}`);
      if (verb === 'NOTICE') throw new NegentropyRefused(`NOTICE ${String(payload ?? '')}`);
      difference.rounds++;
      const reply = neg.reconcile(
        String(payload),
        (id) => difference.have.push(id),
        (id) => difference.need.push(id),
      );
      if (reply === null) break;
      remote.send(['NEG-MSG', sub, reply]);
    }
  } finally {
    remote.send(['NEG-CLOSE', sub]);
    stop();
  }
  return difference;
}
