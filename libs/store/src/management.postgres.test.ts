import { postgresBackend } from './testing/backends.js';
import { managementSuite } from './testing/suite-management.js';

managementSuite(postgresBackend);
