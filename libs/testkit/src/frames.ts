/**
 * What the test client records: each received text frame verbatim next to its parse, and the
 * shapes of the answers it waits for.
 */
import type { NostrEvent } from '@nrelay/protocol';
import type { RawData } from 'ws';

/** A relay message as parsed JSON (`undefined` when the frame was not a JSON array). */
export type Message = readonly unknown[];

/** One received text frame, kept verbatim next to its parse. */
export interface Frame {
  readonly raw: string;
  readonly msg: Message | undefined;
}

/** The close code and reason the connection ended with. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** Bounds for {@link RawClient.waitFor}: search frames from index `from`, for at most `timeoutMs`. */
export interface WaitOptions {
  timeoutMs?: number;
  from?: number;
  /** Words for the error message: what was awaited. */
  what?: string;
}

/** The relay's `["OK", id, accepted, message]` answer. */
export interface OkReply {
  readonly ok: boolean;
  readonly message: string;
  readonly raw: string;
}

/** Stored results of one REQ: events in arrival order, their verbatim JSON, and how it ended. */
export interface QueryResult {
  readonly subId: string;
  readonly events: NostrEvent[];
  readonly texts: string[];
  readonly end: 'EOSE' | 'CLOSED';
  /** The CLOSED message, when `end` is `CLOSED`. */
  readonly reason: string;
}

export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export function parseMessage(raw: string): Message | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The verbatim event object inside an `["EVENT", sub, {...}]` frame. */
export function eventTextOf(raw: string): string {
  return raw.slice(raw.indexOf('{'), raw.lastIndexOf('}') + 1);
}
