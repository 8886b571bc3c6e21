import { pgliteBackend } from './testing/backends.js';
import { bulkSuite } from './testing/suite-bulk.js';

bulkSuite(pgliteBackend);
