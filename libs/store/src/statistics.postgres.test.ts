import { postgresBackend } from './testing/backends.js';
import { statisticsSuite } from './testing/suite-statistics.js';

statisticsSuite(postgresBackend);
