import { type AccessMode, accessLimitation, rateLimitInfo } from '@nrelay/access';
import { type Config, limitationOf } from '@nrelay/config';
import type { RelayInformation } from '@nrelay/protocol';

/** What the composing `main.ts` says about the software it runs. */
export interface RelaySoftware {
  /** NIPs that actually work end to end in this deployment. */
  supportedNips: number[];
  /** Software URL or name for NIP-11 `software`. */
  software: string;
  version: string;
}

/**
 * The NIP-11 document: identity from config, `limitation` from the same values the gateway
 * enforces, `auth_required` and `restricted_writes` from ACCESS_MODE, `payment_required: false`;
 * the enabled rate limits under the non-standard top-level `nrelay_rate_limits` (absent when
 * all are off).
 */
export function relayInformation(config: Config, software: RelaySoftware): RelayInformation {
  return {
    name: config.RELAY_NAME,
    description: config.RELAY_DESCRIPTION,
    pubkey: config.RELAY_PUBKEY,
    self: config.RELAY_SELF,
    contact: config.RELAY_CONTACT,
    icon: config.RELAY_ICON,
    supported_nips: withNip77(software.supportedNips, config.NEG_ENABLED).sort((a, b) => a - b),
    software: software.software,
    version: software.version,
    limitation: {
      ...limitationOf(config),
      ...accessLimitation(config.ACCESS_MODE as AccessMode),
      payment_required: false,
    },
    nrelay_rate_limits: rateLimitInfo(config),
  };
}

/** NIP-77 is listed exactly when it is on (NEG_ENABLED), whatever the composer listed. */
function withNip77(nips: readonly number[], enabled: boolean): number[] {
  const rest = nips.filter((n) => n !== 77);
  return enabled ? [...rest, 77] : rest;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** A small human page about the relay for browsers that open its URL. Every value is escaped. */
export function relayPage(info: RelayInformation, wsUrl: string): string {
  const nips = info.supported_nips
    .map((n) => {
      const padded = String(n).padStart(2, '0');
      return `<a href="https://github.com/nostr-protocol/nips/blob/master/${padded}.md">NIP-${padded}</a>`;
    })
    .join(', ');
  const limits = Object.entries(info.limitation)
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(String(value))}</td></tr>`)
    .join('\n');
  const name = escapeHtml(info.name ?? 'Nostr relay');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${name}</title></head>
<body>
<h1>${name}</h1>
<p>${escapeHtml(info.description ?? '')}</p>
<p>This is a <a href="https://nostr.com">Nostr</a> relay. Connect a Nostr client to <code>${escapeHtml(wsUrl)}</code>.</p>
<h2>Supported NIPs</h2>
<p>${nips}</p>
<h2>Limits</h2>
<table>
${limits}
</table>
<p><small>${escapeHtml(info.software)} ${escapeHtml(info.version)}</small></p>
</body>
</html>
`;
}
