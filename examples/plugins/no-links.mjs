// Example plugin: refuses kind-1 notes whose content contains a link.
// Load it with PLUGINS=examples/plugins/no-links.mjs (see docs/plugins.md).
// It adds a gateway `rejectEvent` hook, so in a cluster it runs on the gateways, before ingest.

/** http(s)://, ws(s)://, or a bare www. host. */
const LINK = /\b(?:https?|wss?):\/\/\S|\bwww\.[a-z0-9-]+\.[a-z]/i;

/** @param {{ config: object, logger: import('pino').Logger }} api */
export default function noLinks({ logger }) {
  logger.info('refusing kind-1 notes with links');
  return {
    gateway: {
      rejectEvent: [
        // Synchronous and cheap: one regex test on the content of kind-1 events only.
        (event) =>
          event.kind === 1 && LINK.test(event.content) ? 'blocked: links are not allowed here' : undefined,
      ],
    },
  };
}
