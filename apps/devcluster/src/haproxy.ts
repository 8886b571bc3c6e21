/** Ports and addresses HAProxy balances. */
export interface HaproxyLayout {
  host: string;
  port: number;
  /** `host`: where this gateway listens when it is not `layout.host` (e.g. a network namespace). */
  gateways: Array<{ name: string; port: number; host?: string }>;
}

/**
 * The HAProxy configuration of the local cluster: WebSockets balanced by least connections over
 * the gateways, health-checked on /readyz (reads) so a draining gateway stops receiving connections
 * while a Redis or ingest outage does not turn readers away,
 * and tunnel timeouts long enough for idle Nostr subscriptions.
 *
 * TCP mode with the PROXY protocol (v2) rather than HTTP mode with X-Forwarded-For: in HTTP
 * mode HAProxy reset a client still uploading an oversized frame as soon as the gateway closed
 * with 1009, so the client saw 1006 instead of the close code; in TCP mode the close reaches
 * the client. The gateways read the client IP from the PROXY header (PROXY_PROTOCOL=true;
 * HAProxy runs on a trusted address) and still accept direct connections without one.
 */
export function haproxyConfig(layout: HaproxyLayout): string {
  const servers = layout.gateways
    .map(
      (g) =>
        `  server ${g.name} ${g.host ?? layout.host}:${g.port} send-proxy-v2 check check-send-proxy inter 1s fall 2 rise 1`,
    )
    .join('\n');
  return `global
  # Two file descriptors per proxied connection; stays under a 20k descriptor limit.
  maxconn 9000

defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout client-fin 10s

frontend relay
  bind ${layout.host}:${layout.port}
  default_backend gateways

backend gateways
  balance leastconn
  # /readyz = the gateway can serve reads: it stays 200 through Redis and ingest outages (EVENTs
  # are then refused at once with error:), so readers keep being routed, unless its live feed is
  # lost past FANOUT_LOSS_GRACE_MS (it closes its clients then). /readyz/write is for alerts.
  option httpchk GET /readyz
  http-check expect status 200
${servers}
`;
}
