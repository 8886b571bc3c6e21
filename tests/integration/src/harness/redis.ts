import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { ServiceProcess } from '@nrelay/devcluster';

/** Where the tests find the machine's shared Redis (never restarted by a test). */
export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A Redis reply as parsed from RESP2. */
export type RedisReply = string | number | null | RedisReply[];

/** A key prefix unique to this run: `it<pid><random>` (letters and digits only, no glob characters). */
export function uniqueRedisPrefix(): string {
  return `it${process.pid}${randomBytes(4).toString('hex')}`;
}

/**
 * A minimal RESP2 client for test bookkeeping (PING, SCAN, DEL): one TCP connection, commands
 * answered in order. Every command is bounded by `timeoutMs`.
 */
export class RespClient {
  private buffer = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve(r: RedisReply): void; reject(e: Error): void }> = [];
  private failure: Error | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (;;) {
        const parsed = parseReply(this.buffer, 0);
        if (parsed === undefined) break;
        this.buffer = this.buffer.subarray(parsed.next);
        const w = this.waiting.shift();
        if (parsed.value instanceof Error) w?.reject(parsed.value);
        else w?.resolve(parsed.value);
      }
    });
    const fail = (err: Error): void => {
      this.failure ??= err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('redis connection closed')));
  }

  /** Connects to a `redis://host:port` URL. */
  static open(url: string, timeoutMs = 3000): Promise<RespClient> {
    const u = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: u.hostname, port: Number(u.port || 6379) });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${url} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RespClient(socket));
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** Sends one command and resolves with its reply. */
  command(args: readonly string[], timeoutMs = 5000): Promise<RedisReply> {
    if (this.failure) return Promise.reject(this.failure);
    const parts = [`*${args.length}\r\n`];
    for (const a of args) parts.push(`$${Buffer.byteLength(a)}\r\n${a}\r\n`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis ${args[0]} timed out`)), timeoutMs);
      this.waiting.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(parts.join(''));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function parseReply(buf: Buffer, at: number): { value: RedisReply | Error; next: number } | undefined {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  const after = eol + 2;
  switch (type) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new Error(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: after };
      if (buf.length < after + len + 2) return undefined;
      return { value: buf.toString('utf8', after, after + len), next: after + len + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RedisReply[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buf, next);
        if (item === undefined) return undefined;
        if (item.value instanceof Error) return item;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      return { value: new Error(`unexpected RESP type ${JSON.stringify(type)}`), next: buf.length };
  }
}

/** Deletes every key starting with `prefix` (SCAN + DEL), bounded in rounds. Returns how many. */
export async function deleteRedisPrefix(url: string, prefix: string): Promise<number> {
  if (!/^[A-Za-z0-9_:-]+$/.test(prefix)) throw new Error(`refusing to delete keys of prefix ${prefix}`);
  const client = await RespClient.open(url);
  let deleted = 0;
  try {
    let cursor = '0';
    for (let round = 0; round < 100_000; round++) {
      const reply = (await client.command(['SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '1000'])) as [
        string,
        string[],
      ];
      cursor = reply[0];
      if (reply[1].length > 0) deleted += (await client.command(['DEL', ...reply[1]])) as number;
      if (cursor === '0') break;
    }
  } finally {
    client.close();
  }
  return deleted;
}

/** Waits until `url` answers PING, or throws after `timeoutMs`. */
export async function waitForRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const c = await RespClient.open(url, 1000);
      try {
        if ((await c.command(['PING'], 1000)) === 'PONG') return;
      } finally {
        c.close();
      }
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis at ${url} did not answer PING within ${timeoutMs} ms (last: ${last})`);
}

/** A private redis-server child process that a test may kill and restart (never the shared one). */
export interface OwnRedis {
  readonly url: string;
  readonly port: number;
  readonly process: ServiceProcess;
  /** SIGKILL, then start again on the same port and wait for PING (all data is gone: no persistence). */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts `redis-server` on `port` (127.0.0.1, no persistence) and waits for PING. */
export async function startOwnRedis(port: number, sink: (line: string) => void): Promise<OwnRedis> {
  const url = `redis://127.0.0.1:${port}`;
  const proc = new ServiceProcess(
    `redis-${port}`,
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      tmpdir(),
      '--loglevel',
      'warning',
    ],
    {},
    undefined,
    (_name, line) => sink(line),
  );
  const up = async (): Promise<void> => {
    await proc.start();
    if (proc.spawnError) throw new Error(`redis-server could not be started: ${proc.spawnError.message}`);
    await waitForRedis(url).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${proc.tail()}`);
    });
  };
  await up();
  return {
    url,
    port,
    process: proc,
    async restart(downMs = 500) {
      await proc.kill();
      await new Promise((r) => setTimeout(r, downMs));
      await up();
    },
    stop: () => proc.stop(5000),
  };
}
