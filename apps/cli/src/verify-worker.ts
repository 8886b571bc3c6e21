// One signature-checking thread of `nrelay import` (verify-pool.ts): batches of
// [id, pubkey, sig] in, one byte per event out (1: the signature is valid).
import { parentPort, workerData } from 'node:worker_threads';
import { chooseVerifier } from '@nrelay/ingest';
import type { NostrEvent } from '@nrelay/protocol';

const verifier = chooseVerifier((workerData as { choice: string }).choice);
parentPort?.on('message', ({ seq, items }: { seq: number; items: Array<[string, string, string]> }) => {
  const ok = new Uint8Array(items.length);
  items.forEach(([id, pubkey, sig], i) => {
    // The verifiers read only these three fields (the id was hashed on the main thread).
    const event = { id, pubkey, sig, kind: 0, created_at: 0, tags: [], content: '' } as NostrEvent;
    ok[i] = verifier.verify(event) ? 1 : 0;
  });
  parentPort?.postMessage({ seq, ok }, [ok.buffer]);
});
