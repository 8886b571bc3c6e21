import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import type { NostrEvent } from '@nrelay/protocol';
import * as pure from 'nostr-tools/pure';
import type { SignedEvent } from './events.js';
import type { SignerReply, SignerRequest } from './signer.js';

/**
 * Signing thread of the {@link SignerPool}. Uses libsecp256k1 compiled to WebAssembly
 * (nostr-wasm, about 6x faster than the pure-JS signer) and falls back to nostr-tools/pure
 * when it cannot be loaded.
 */

interface Impl {
  name: string;
  getPublicKey(sk: Uint8Array): string;
  finalizeEvent(
    t: { kind: number; created_at: number; tags: string[][]; content: string },
    sk: Uint8Array,
  ): NostrEvent;
}

async function loadImpl(): Promise<Impl> {
  try {
    const [wasm, { initNostrWasm }] = await Promise.all([import('nostr-tools/wasm'), import('nostr-wasm')]);
    wasm.setNostrWasm(await initNostrWasm());
    return { name: 'nostr-wasm', getPublicKey: wasm.getPublicKey, finalizeEvent: wasm.finalizeEvent };
  } catch {
    return { name: 'nostr-tools/pure', getPublicKey: pure.getPublicKey, finalizeEvent: pure.finalizeEvent };
  }
}

const implPromise = loadImpl();
// Loaded on the first `rows` request only: it brings @nrelay/store with it.
let seedDb: Promise<typeof import('./seed-db.js')> | undefined;
const port = parentPort;
if (!port) throw new Error('sign-worker.js runs only as a worker thread');

const FAKE_SIG = '0'.repeat(128);

function handle(
  impl: Impl,
  req: SignerRequest,
  rowsOf: typeof import('./seed-db.js')['seedBatch'] | undefined,
): SignerReply {
  if (req.op === 'keys') {
    const keys: Array<[string, string]> = [];
    for (let i = 0; i < req.count; i++) {
      const sk = pure.generateSecretKey();
      keys.push([Buffer.from(sk).toString('hex'), impl.getPublicKey(sk)]);
    }
    return { seq: req.seq, impl: impl.name, keys };
  }
  const signed: SignedEvent[] = [];
  for (const d of req.drafts) {
    const template = { kind: d.kind, created_at: d.created_at, tags: d.tags, content: d.content };
    let id: string;
    let sig: string;
    if (req.fakeSig) {
      // A correct id with a placeholder signature: only for rows written straight to the database.
      const serial = JSON.stringify([0, d.pubkey, d.created_at, d.kind, d.tags, d.content]);
      id = createHash('sha256').update(serial).digest('hex');
      sig = FAKE_SIG;
    } else {
      const e = impl.finalizeEvent(template, Buffer.from(d.sk, 'hex'));
      id = e.id;
      sig = e.sig;
    }
    const plain = {
      id,
      pubkey: d.pubkey,
      created_at: d.created_at,
      kind: d.kind,
      tags: d.tags,
      content: d.content,
      sig,
    };
    signed.push({
      id,
      pubkey: d.pubkey,
      kind: d.kind,
      created_at: d.created_at,
      tags: d.tags,
      content: d.content,
      raw: JSON.stringify(plain),
    });
  }
  if (req.output === 'rows' && rowsOf !== undefined)
    return { seq: req.seq, impl: impl.name, batch: rowsOf(signed) };
  return { seq: req.seq, impl: impl.name, signed: signed.map((e) => [e.id, e.raw]) };
}

port.on('message', (req: SignerRequest) => {
  const wantsRows = req.op === 'sign' && req.output === 'rows';
  if (wantsRows) seedDb ??= import('./seed-db.js');
  Promise.all([implPromise, wantsRows ? seedDb : undefined])
    .then(([impl, rows]) => handle(impl, req, rows?.seedBatch))
    .then(
      (reply) => port.postMessage(reply),
      (err: unknown) => port.postMessage({ seq: req.seq, error: String(err) }),
    );
});
