import { pgliteBackend } from './testing/backends.js';
import { managementSuite } from './testing/suite-management.js';

managementSuite(pgliteBackend);
