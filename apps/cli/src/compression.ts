import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { compress, init } from '@bokuweb/zstd-wasm';
import { Decompress } from 'fzstd';

/** How a file is compressed, told by its name. */
type Compression = 'none' | 'gzip' | 'zstd';

/** `.gz` is gzip, `.zst` is Zstandard, anything else (and stdin/stdout, `-`) plain text. */
function compressionOf(path: string): Compression {
  if (path.endsWith('.gz')) return 'gzip';
  if (path.endsWith('.zst') || path.endsWith('.zstd')) return 'zstd';
  return 'none';
}

/** Uncompressed bytes a zstd frame of the export holds: memory stays at about this much. */
const ZSTD_FRAME_BYTES = 1 << 20;
const ZSTD_LEVEL = 3;

/**
 * Zstandard compression in constant memory: the input is cut into independent frames of
 * `ZSTD_FRAME_BYTES` (a file of concatenated frames is one valid .zst stream; `zstd -d` and
 * every decoder read it whole). Node 20 has no zstd in node:zlib (ADR 0020).
 */
async function zstdCompressor(): Promise<Transform> {
  await init();
  let pending: Buffer[] = [];
  let size = 0;
  const frame = (stream: Transform) => {
    if (size === 0) return;
    stream.push(Buffer.from(compress(Buffer.concat(pending, size), ZSTD_LEVEL)));
    pending = [];
    size = 0;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      pending.push(chunk);
      size += chunk.length;
      if (size >= ZSTD_FRAME_BYTES) frame(this);
      done();
    },
    flush(done) {
      frame(this);
      done();
    },
  });
}

/** Streaming Zstandard decompression (fzstd, pure JS): any .zst, one frame or many. */
function zstdDecompressor(): Transform {
  let stream: Transform | undefined;
  const decoder = new Decompress((chunk) =>
    stream?.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)),
  );
  stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        decoder.push(chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done) {
      try {
        decoder.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  return stream;
}

/** The bytes of `path` (stdin for `-`), decompressed as its name says. */
export function openInput(path: string): NodeJS.ReadableStream {
  const source = path === '-' ? process.stdin : createReadStream(path);
  switch (compressionOf(path)) {
    case 'gzip':
      return source.pipe(createGunzip());
    case 'zstd':
      return source.pipe(zstdDecompressor());
    default:
      return source;
  }
}

/** Where an export writes: `out` takes the text; `close()` resolves once it is all on disk (or stdout). */
export interface Output {
  out: Writable;
  close(): Promise<void>;
}

/** A writable for `path` (stdout for `-` or none), compressed as its name says. */
export async function openOutput(path: string | undefined): Promise<Output> {
  const target: Writable = path === undefined || path === '-' ? process.stdout : createWriteStream(path);
  const kind = path === undefined ? 'none' : compressionOf(path);
  const head = kind === 'gzip' ? createGzip() : kind === 'zstd' ? await zstdCompressor() : undefined;
  head?.pipe(target);
  const out = head ?? target;
  return {
    out,
    async close() {
      // process.stdout is never ended: only flushed.
      if (out !== process.stdout) out.end();
      // The compressor's end hands everything to the target; pipe() ends a file, never stdout.
      if (head) await finished(head);
      if (target === process.stdout)
        await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      else await finished(target);
    },
  };
}
