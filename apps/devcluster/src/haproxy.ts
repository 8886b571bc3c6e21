/** Ports and addresses HAProxy balances. */
export interface HaproxyLayout {
  host: string;
  port: number;
  gateways: Array<{ name: string; port: number }>;
}

/**
 * The HAProxy configuration of the local cluster: WebSockets balanced by least connections over
 * the gateways, health-checked on /readyz so a draining gateway stops receiving connections,
 * and tunnel timeouts long enough for idle Nostr subscriptions.
 */
export function haproxyConfig(layout: HaproxyLayout): string {
  const servers = layout.gateways
    .map((g) => `  server ${g.name} ${layout.host}:${g.port} check inter 1s fall 2 rise 1`)
    .join('\n');
  return `global
  # Two file descriptors per proxied connection; stays under a 20k descriptor limit.
  maxconn 9000

defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
  timeout client-fin 10s
  timeout http-request 10s

frontend relay
  bind ${layout.host}:${layout.port}
  default_backend gateways

backend gateways
  balance leastconn
  option httpchk GET /readyz
  http-check expect status 200
${servers}
`;
}
