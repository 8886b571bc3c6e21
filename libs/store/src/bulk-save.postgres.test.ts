import { postgresBackend } from './testing/backends.js';
import { bulkSuite } from './testing/suite-bulk.js';

bulkSuite(postgresBackend);
