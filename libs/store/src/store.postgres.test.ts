import { postgresBackend } from './testing/backends.js';
import { differentialSuite } from './testing/differential.js';
import { basicSuite } from './testing/suite-basic.js';
import { boundsSuite } from './testing/suite-bounds.js';
import { semanticsSuite } from './testing/suite-semantics.js';

basicSuite(postgresBackend);
semanticsSuite(postgresBackend);
differentialSuite(postgresBackend);
boundsSuite(postgresBackend);
