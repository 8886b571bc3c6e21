import { pgliteBackend } from './testing/backends.js';
import { differentialSuite } from './testing/differential.js';
import { basicSuite } from './testing/suite-basic.js';
import { boundsSuite } from './testing/suite-bounds.js';
import { hllSuite } from './testing/suite-hll.js';
import { semanticsSuite } from './testing/suite-semantics.js';
import { vanishSuite } from './testing/suite-vanish.js';

basicSuite(pgliteBackend);
semanticsSuite(pgliteBackend);
vanishSuite(pgliteBackend);
hllSuite(pgliteBackend);
differentialSuite(pgliteBackend);
boundsSuite(pgliteBackend);
