/**
 * Redis Cluster key slots (CRC16/XMODEM of the key, or of its `{hash tag}`, modulo 16384), so
 * channel names can be chosen to land in given slot ranges without asking a server.
 */

/** Slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** The slot of a key or channel name, hash tags included (the same rule as Redis's keyHashSlot). */
export function slotOf(key: string): number {
  let bytes = Buffer.from(key);
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number);
  return crc % CLUSTER_SLOTS;
}

/**
 * `count` channel names under `base`, each with a hash tag picked so that channel i hashes into
 * the i-th of `count` equal slot ranges: on a cluster whose masters own equal contiguous ranges
 * (what `redis-cli --cluster create` makes) the channels spread evenly over the masters. A pure
 * function of its arguments, so every process of a deployment names the same channels.
 */
export function spreadChannels(base: string, count: number): string[] {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * CLUSTER_SLOTS) / count);
    const to = Math.floor(((i + 1) * CLUSTER_SLOTS) / count);
    for (let k = 0; ; k++) {
      const tag = `p${i}.${k}`;
      const slot = slotOf(`{${tag}}`);
      if (slot >= from && slot < to) {
        names.push(`${base}:{${tag}}`);
        break;
      }
    }
  }
  return names;
}
