// Example plugin: logs every WebSocket connection and disconnection with its IP and duration.
// Load it with PLUGINS=examples/plugins/log-connections.mjs (see docs/plugins.md).
// `on*` hooks only observe: what they return is ignored, and a throw is logged, never fatal.

/** @param {{ config: object, logger: import('pino').Logger }} api */
export default function logConnections({ logger }) {
  /** Connection id -> connected-at (ms); entries leave on disconnect, so memory stays bounded. */
  const openedAt = new Map();
  return {
    gateway: {
      onConnect: [
        (conn) => {
          openedAt.set(conn.id, Date.now());
          logger.info({ conn: conn.id, ip: conn.ip, open: openedAt.size }, 'client connected');
        },
      ],
      onDisconnect: [
        (conn) => {
          const since = openedAt.get(conn.id);
          openedAt.delete(conn.id);
          logger.info(
            {
              conn: conn.id,
              ip: conn.ip,
              pubkeys: [...conn.authedPubkeys],
              seconds: since === undefined ? undefined : (Date.now() - since) / 1000,
              open: openedAt.size,
            },
            'client disconnected',
          );
        },
      ],
    },
  };
}
