import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RawClient } from '@nrelay/testkit';
import { type Keys, newKeys, nowSec, randomWord, signEvent } from '@nrelay/testkit';
import type { NostrEvent } from 'nostr-tools/pure';
import { countOf, openAs } from './access-helpers.js';
import { assertAccepted, assertPrefix, idSet } from './context.js';

/** Who looks, and whether they may see the private events (author or p-tagged recipient). */
interface Viewer {
  readonly name: string;
  readonly as: Keys[];
  readonly allowed: boolean;
}

/**
 * THE LEAK TEST (issue 4): a privileged event (kind 4 and kind 1059, by A, p-tagging B) is
 * never sent to a connection that is not authenticated as A or B — stored REQ by kinds, ids,
 * authors, #p, search, COUNT, live subscriptions — including a connection authenticated as
 * other pubkeys; and A and B do get it, stored and live. `urls()` gives the endpoints to spread
 * connections over (one relay, or each gateway of a cluster): every viewer has a connection on
 * every endpoint, and the event is published on the first.
 */
export function privacyTests(urls: () => readonly string[]): void {
  describe('privileged events: the leak test', () => {
    it('reach only their author and p-tagged recipients, on every path', { timeout: 60_000 }, async () => {
      const A = newKeys();
      const B = newKeys();
      const C = newKeys();
      const D = newKeys();
      const word = randomWord();
      // The public control event is older, so a `limit: 1` must find it past the newer private ones.
      const control = signEvent(A, {
        kind: 1,
        tags: [['p', B.pk]],
        content: `public ${word}`,
        created_at: nowSec() - 60,
      });
      const dm = signEvent(A, { kind: 4, tags: [['p', B.pk]], content: `dm ${word}` });
      const wrap = signEvent(A, { kind: 1059, tags: [['p', B.pk]], content: `wrap ${word}` });
      const secret = [dm, wrap];
      const all = [control, dm, wrap];
      const viewers: Viewer[] = [
        { name: 'anonymous', as: [], allowed: false },
        { name: 'C (another pubkey)', as: [C], allowed: false },
        { name: 'C and D (several other pubkeys)', as: [C, D], allowed: false },
        { name: 'A (author)', as: [A], allowed: true },
        { name: 'B (p-tagged)', as: [B], allowed: true },
        { name: 'C then B', as: [C, B], allowed: true },
      ];
      const liveFilters: Record<string, unknown> = {
        kinds: { kinds: [4, 1059, 1], since: control.created_at },
        ids: { ids: all.map((e) => e.id) },
        authors: { authors: [A.pk] },
        p: { '#p': [B.pk] },
      };
      const clients: RawClient[] = [];
      try {
        // Live subscriptions first, on every endpoint, for every viewer and every path.
        const watchers: Array<{ viewer: Viewer; client: RawClient; url: string }> = [];
        for (const url of urls()) {
          for (const viewer of viewers) {
            const client = await openAs(url, ...viewer.as);
            clients.push(client);
            watchers.push({ viewer, client, url });
            for (const [name, filter] of Object.entries(liveFilters)) {
              const r = await client.query([filter], { subId: `live-${name}`, keepOpen: true });
              assert.equal(r.end, 'EOSE', `${viewer.name} live ${name}: ${r.reason}`);
              // Other tests may share the relay: only A's events matter here.
              const early = r.events.filter((e) => e.pubkey === A.pk);
              assert.equal(early.length, 0, `${viewer.name} live ${name}: A's events before publishing`);
            }
          }
        }
        const publisher = await openAs(urls()[0]!, A);
        clients.push(publisher);
        for (const e of [...secret, control])
          assertAccepted(await publisher.publish(e), `publishing kind ${e.kind}`);

        // Every endpoint has allowed viewers: once they got the private events, each gateway has
        // run the fanout of those events for all of its connections.
        for (const { viewer, client } of watchers) {
          for (const name of Object.keys(liveFilters)) {
            await client.nextEvent(`live-${name}`, control.id, 0, 10_000);
            if (!viewer.allowed) continue;
            for (const e of secret) await client.nextEvent(`live-${name}`, e.id, 0, 10_000);
          }
        }
        for (const { viewer, client } of watchers) {
          await client.barrier();
          const leaked = client.frames.filter(
            (f) =>
              f.msg?.[0] === 'EVENT' &&
              secret.some((e) => (f.msg?.[2] as NostrEvent | undefined)?.id === e.id),
          );
          if (!viewer.allowed)
            assert.deepEqual(
              leaked.map((f) => f.raw),
              [],
              `${viewer.name}: live leak`,
            );
        }

        // Stored paths, from fresh connections on every endpoint.
        for (const url of urls()) {
          for (const viewer of viewers) {
            const c = await openAs(url, ...viewer.as);
            clients.push(c);
            const visible = viewer.allowed ? all : [control];
            const paths: Record<string, unknown[]> = {
              ids: [{ ids: all.map((e) => e.id) }],
              authors: [{ authors: [A.pk] }],
              '#p': [{ '#p': [B.pk] }],
              search: [{ search: word }],
              'kinds (mixed)': [{ kinds: [4, 1059, 1], authors: [A.pk] }],
              'two filters': [
                { kinds: [4, 1059], authors: [A.pk] },
                { kinds: [1], authors: [A.pk] },
              ],
            };
            for (const [path, filters] of Object.entries(paths)) {
              const r = await c.query(filters);
              assert.equal(r.end, 'EOSE', `${viewer.name} ${path}: ${r.reason}`);
              assert.deepEqual(idSet(r.events), idSet(visible), `${viewer.name}: stored ${path} at ${url}`);
              assert.equal(await countOf(c, filters), visible.length, `${viewer.name}: COUNT ${path}`);
            }
            // Hidden rows are filtered in SQL, before the limit: `limit: 1` still finds the control.
            const newest = await c.query([{ authors: [A.pk], limit: 1 }]);
            assert.equal(newest.events.length, 1, `${viewer.name}: limit 1`);
            if (viewer.allowed)
              assert.ok(
                secret.some((e) => e.id === newest.events[0]!.id),
                viewer.name,
              );
            else assert.equal(newest.events[0]!.id, control.id, `${viewer.name}: limit eaten by hidden rows`);

            // Only-privileged kinds: unauthenticated → auth-required; authenticated → what it may see.
            const onlyPrivate = [{ kinds: [4, 1059], authors: [A.pk] }];
            const r = await c.query(onlyPrivate);
            if (viewer.as.length === 0) {
              assert.equal(r.end, 'CLOSED', `anonymous privileged-only REQ: ${JSON.stringify(r)}`);
              assertPrefix(r.reason, 'auth-required:', 'anonymous privileged-only REQ');
              assertPrefix(
                await countOf(c, onlyPrivate),
                'auth-required:',
                'anonymous privileged-only COUNT',
              );
            } else {
              assert.equal(r.end, 'EOSE', `${viewer.name}: ${r.reason}`);
              assert.deepEqual(idSet(r.events), idSet(viewer.allowed ? secret : []), viewer.name);
              assert.equal(await countOf(c, onlyPrivate), viewer.allowed ? 2 : 0, `${viewer.name} COUNT`);
            }
          }
        }
      } finally {
        for (const c of clients) c.close();
      }
    });

    it('PRIVILEGED_KINDS covers 13, 14, 15 and 1060 too (default list)', { timeout: 30_000 }, async () => {
      const A = newKeys();
      const B = newKeys();
      const events = [13, 14, 15, 1060].map((kind) => signEvent(A, { kind, tags: [['p', B.pk]] }));
      const clients: RawClient[] = [];
      try {
        const author = await openAs(urls()[0]!, A);
        const anonymous = await openAs(urls().at(-1)!);
        const recipient = await openAs(urls().at(-1)!, B);
        clients.push(author, anonymous, recipient);
        for (const e of events) assertAccepted(await author.publish(e), `kind ${e.kind}`);
        const ids = [{ ids: events.map((e) => e.id) }];
        assert.equal((await anonymous.query(ids)).events.length, 0);
        assert.equal(await countOf(anonymous, [{ authors: [A.pk] }]), 0);
        assert.deepEqual(idSet((await recipient.query(ids)).events), idSet(events));
      } finally {
        for (const c of clients) c.close();
      }
    });
  });
}
