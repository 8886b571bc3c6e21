import type { Filter } from 'nostr-tools/filter';
import { SimplePool, useWebSocketImplementation as usePoolWebSocket } from 'nostr-tools/pool';
import type { NostrEvent } from 'nostr-tools/pure';
import { Relay, useWebSocketImplementation as useRelayWebSocket } from 'nostr-tools/relay';
import { WebSocket } from 'ws';

let installed = false;

function installWebSocket(): void {
  if (installed) return;
  useRelayWebSocket(WebSocket);
  usePoolWebSocket(WebSocket);
  installed = true;
}

/** A nostr-tools Relay connected over `ws`. */
export async function connectRelay(url: string): Promise<Relay> {
  installWebSocket();
  const relay = await Relay.connect(url, { timeout: 5000 });
  relay.onnotice = () => {};
  return relay;
}

/** A nostr-tools SimplePool using `ws`; call `destroy()` when done. */
export function newPool(): SimplePool {
  installWebSocket();
  return new SimplePool();
}

/**
 * Subscribes with nostr-tools and resolves with the stored events once EOSE arrives (nostr-tools
 * also gives up after `timeoutMs`), then closes the subscription.
 */
export function storedEvents(relay: Relay, filters: Filter[], timeoutMs = 5000): Promise<NostrEvent[]> {
  return new Promise((resolve, reject) => {
    const events: NostrEvent[] = [];
    let done = false;
    const sub = relay.subscribe(filters, {
      eoseTimeout: timeoutMs,
      onevent: (e) => {
        events.push(e);
      },
      oneose: () => {
        if (done) return;
        done = true;
        sub.close();
        resolve(events);
      },
      onclose: (reason) => {
        if (done) return;
        done = true;
        reject(new Error(`subscription closed before EOSE: ${reason}`));
      },
    });
  });
}
