import { pgliteBackend } from './testing/backends.js';
import { statisticsSuite } from './testing/suite-statistics.js';

statisticsSuite(pgliteBackend);
