import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server } from 'node:net';
import {
  createClientIpResolver,
  createProxyProtocolServer,
  createPublicOriginResolver,
  parseCidrList,
  requestPath,
} from '@nrelay/access';
import type { Config } from '@nrelay/config';
import type { Logger } from 'pino';

/** How a gateway learns who its clients are (TRUSTED_PROXIES, PROXY_PROTOCOL). */
export interface ClientAddressing {
  /** The client IP of a request: `ConnectionInfo.ip` and the `ip` of `rejectConnection`. */
  clientIp(req: IncomingMessage): string;
  /**
   * The URL a client connected to, for the NIP-42 `relay` tag: Host (or a trusted proxy's
   * X-Forwarded-Host/Proto) and the request path; undefined without a usable Host.
   */
  connectUrl(req: IncomingMessage): string | undefined;
  /**
   * The server that listens on HOST:PORT: the HTTP server itself, or (PROXY_PROTOCOL=true) a
   * TCP listener in front of it that reads the PROXY header of trusted peers first.
   */
  listenerFor(http: HttpServer): Server;
}

/**
 * Builds the client addressing of a gateway from its settings; an invalid TRUSTED_PROXIES entry
 * is a ConfigError at start. Rules and reasons: libs/access `client-ip.ts`.
 */
export function createClientAddressing(
  config: Pick<Config, 'TRUSTED_PROXIES' | 'PROXY_PROTOCOL'>,
  logger: Logger,
): ClientAddressing {
  const trusted = parseCidrList(config.TRUSTED_PROXIES, 'TRUSTED_PROXIES');
  const clientIp = createClientIpResolver(trusted);
  const originOf = createPublicOriginResolver(undefined, trusted);
  return {
    clientIp,
    connectUrl(req) {
      const origin = originOf(req);
      const path = requestPath(req);
      // Most clients connect to `/`: they share the origin's one string.
      return origin === undefined || path === '/' ? origin : origin + path;
    },
    listenerFor(http) {
      if (!config.PROXY_PROTOCOL) return http;
      return createProxyProtocolServer(http, {
        trusted,
        onReject: (peer, reason) => logger.warn({ peer, reason }, 'PROXY protocol header refused'),
      });
    },
  };
}
