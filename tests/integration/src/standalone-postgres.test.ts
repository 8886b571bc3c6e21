import { startStandalone } from './harness/standalone.js';
import { relaySuite } from './suite/index.js';

relaySuite('standalone relay on Postgres', (opts) => startStandalone({ env: opts?.env, postgres: true }));
