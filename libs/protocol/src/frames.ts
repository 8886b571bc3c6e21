/**
 * Builders of relay → client frames as ready-to-send strings. EVENT frames splice in the event's
 * original JSON text, so an event is never re-serialized on its way out.
 */
/** `["EVENT",subId,<raw>]` with `raw` inserted verbatim; build once per sub id, send to all. */
export function eventFrame(subId: string, raw: string): string {
  return '["EVENT",' + JSON.stringify(subId) + ',' + raw + ']';
}

/** `["OK",id,ok,reason]`, the answer to EVENT and AUTH. */
export function okFrame(id: string, ok: boolean, reasonText: string): string {
  return JSON.stringify(['OK', id, ok, reasonText]);
}

/** `["EOSE",subId]`: stored results are done, live events follow. */
export function eoseFrame(subId: string): string {
  return JSON.stringify(['EOSE', subId]);
}

/** `["CLOSED",subId,reason]`: the relay ended or refused a subscription. */
export function closedFrame(subId: string, reasonText: string): string {
  return JSON.stringify(['CLOSED', subId, reasonText]);
}

/** `["NOTICE",message]` for problems that cannot be tied to an event or subscription id. */
export function noticeFrame(message: string): string {
  return JSON.stringify(['NOTICE', message]);
}

/** `["AUTH",challenge]`, the NIP-42 challenge. */
export function authFrame(challenge: string): string {
  return JSON.stringify(['AUTH', challenge]);
}

/** `["COUNT",subId,{"count":n}]` (NIP-45); `approximate` and `hll` (the registers) only when given. */
export function countFrame(subId: string, count: number, approximate?: boolean, hll?: string): string {
  const body: { count: number; approximate?: boolean; hll?: string } = { count };
  if (approximate !== undefined) body.approximate = approximate;
  if (hll !== undefined) body.hll = hll;
  return JSON.stringify(['COUNT', subId, body]);
}
