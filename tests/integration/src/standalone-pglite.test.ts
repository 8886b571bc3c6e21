import { startStandalone } from './harness/standalone.js';
import { relaySuite } from './suite/index.js';

relaySuite('standalone relay on PGlite', (opts) => startStandalone({ env: opts?.env }));
