import { abuseSuite } from './abuse/index.js';
import { startStandalone } from './harness/standalone.js';

abuseSuite('standalone relay on PGlite', (opts) => startStandalone({ env: opts?.env }));
