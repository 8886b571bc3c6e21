/**
 * What the cluster's wire formats share: every payload is versioned (`v: 1`), and a decoder
 * refuses anything it does not fully understand with a `WireFormatError`, so a rolling upgrade
 * never half-reads a newer message.
 */
import type { NostrEvent } from '@nrelay/protocol';

/** A payload on a cluster channel or in a job that this version cannot decode. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** W3C trace context carrier (traceparent/tracestate). */
export type TraceCarrier = Record<string, string>;

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WireFormatError(`${what} is not valid JSON`);
  }
  if (!isObject(value)) throw new WireFormatError(`${what} must be a JSON object`);
  return value;
}

export function checkVersion(obj: Record<string, unknown>, what: string): void {
  if (obj.v !== 1) throw new WireFormatError(`${what} has unknown version ${JSON.stringify(obj.v)}`);
}

export function checkTrace(value: unknown, what: string): TraceCarrier {
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new WireFormatError(`${what}: trace carrier must be an object of strings`);
  }
  return value as TraceCarrier;
}

export function looksLikeEvent(
  value: Record<string, unknown>,
): value is Record<string, unknown> & NostrEvent {
  return (
    typeof value.id === 'string' &&
    typeof value.pubkey === 'string' &&
    typeof value.kind === 'number' &&
    Array.isArray(value.tags)
  );
}
