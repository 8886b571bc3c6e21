import type { QueryClient } from './seam.js';

/**
 * Spreads requests over several query services, one after the other (round robin). With one
 * client it returns that client unchanged.
 */
export function createBalancedQueryClient(clients: QueryClient[]): QueryClient {
  if (clients.length === 0) throw new Error('at least one query service URL is needed (QUERY_URL)');
  if (clients.length === 1) return clients[0]!;
  let next = 0;
  const pick = () => {
    const client = clients[next]!;
    next = (next + 1) % clients.length;
    return client;
  };
  return {
    query: (request, signal) => pick().query(request, signal),
    count: (request, signal) => pick().count(request, signal),
    countHll: (request, signal) => {
      const client = pick();
      return client.countHll ? client.countHll(request, signal) : Promise.reject(new Error('no countHll'));
    },
    items: (request, signal) => pick().items(request, signal),
    async close() {
      await Promise.all(clients.map((c) => c.close()));
    },
  };
}
