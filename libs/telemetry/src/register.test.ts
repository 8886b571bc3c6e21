import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from './testing.js';

const register = fileURLToPath(new URL('./register.js', import.meta.url));
const index = new URL('./index.js', import.meta.url).href;

/** Runs `code` (an ES module body) in a child started with the register module. */
async function run(code: string, env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ['--import', register, '--input-type=module', '-e', code], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  const [code_] = await once(child, 'exit');
  assert.equal(code_, 0);
  return out.trim();
}

const LOADED_SDK = `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
console.log(Object.keys(require.cache).filter((k) => k.includes('@opentelemetry')).length);`;

test('without OTEL settings the register module loads no OpenTelemetry code at all', async () => {
  assert.equal(await run(LOADED_SDK, {}), '0');
});

test('with an OTLP endpoint the SDK starts and exports spans, service name included', async () => {
  const receiver = await startOtlpReceiver();
  try {
    const out = await run(
      `const { relayTracer, flushTelemetry } = await import(${JSON.stringify(index)});
const tracer = relayTracer();
console.log(tracer === undefined ? 'off' : 'on');
tracer?.startSpan('hello', { attributes: { 'nostr.event.kind': 1 } }).end();
await flushTelemetry();`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_SERVICE_NAME: 'nrelay-test',
      },
    );
    assert.equal(out, 'on');
    const spans = await receiver.waitFor((s) => s.some((x) => x.name === 'hello'), 5_000);
    const hello = spans.find((s) => s.name === 'hello')!;
    assert.equal(hello.service, 'nrelay-test');
    assert.equal(hello.attributes['nostr.event.kind'], 1);
    assert.match(hello.traceId, /^[0-9a-f]{32}$/);
  } finally {
    await receiver.close();
  }
});
