// Dependency rules between the workspace packages, checked by `npm run depcheck` (part of
// `npm test`). The table they encode is in docs/architecture.md ("Allowed dependencies");
// ADR 0012 says why dependency-cruiser (with the swc parser: TypeScript 7 has no JS API).
//
// Workspace packages are imported by name (`@nrelay/store`); .dependency-cruiser-resolve.cjs
// resolves each name in a package's `exports` to the TypeScript source it is built from, so
// the check needs no build, and a deep import (`@nrelay/store/dist/x.js`,
// `@nrelay/store/src/x.ts`) stays unresolvable and is reported.
/** Named exceptions to the rules below; each one is listed in docs/architecture.md. */
const EXCEPTIONS = {
  // A cycle that runs through one of these files is excused: each entry names a cycle still in
  // the tree, why, and who breaks it; delete it when the cycle is gone.
  circular: [],
};

module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-nothing-of-ours',
      comment: 'libs/protocol is pure: it imports no other package of this workspace.',
      severity: 'error',
      from: { path: '^libs/protocol/' },
      to: { path: '^(libs|services|apps|tools|tests)/', pathNot: '^libs/protocol/' },
    },
    {
      name: 'libs-import-only-libs',
      comment: 'A lib never imports a service, an app, a tool or a test package.',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^(services|apps|tools|tests)/' },
    },
    {
      name: 'seams-are-transport-only',
      comment:
        'libs/seams carries events between the processes and knows nothing of what they do: of ours it imports only libs/protocol (the wire types) and libs/redis (connections); a seam implementation needing the store, access policy or a service belongs in that service (its conformance suites and tests may use test helpers).',
      severity: 'error',
      from: { path: '^libs/seams/', pathNot: '([.]test[.]ts|conformance[.]ts)$' },
      to: { path: '^(libs|services|apps|tools|tests)/', pathNot: '^libs/(seams|protocol|redis)/' },
    },
    {
      name: 'service-imports-no-other-service',
      comment: 'Services meet only through libs (the seams) and the wire contracts.',
      severity: 'error',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: '^services/$1/' },
    },
    {
      name: 'services-import-no-apps-tools-tests',
      comment: 'A service never imports the apps that compose it, a tool or a test package.',
      severity: 'error',
      from: { path: '^services/' },
      to: { path: '^(apps|tools|tests)/' },
    },
    {
      name: 'apps-import-no-tools-or-tests',
      comment: 'Apps compose libs and services (devcluster also starts standalone); never tools or tests.',
      severity: 'error',
      from: { path: '^apps/' },
      to: { path: '^(tools|tests)/' },
    },
    {
      name: 'tools-and-tests-do-not-import-each-other',
      comment: 'A tool and a test package never import each other.',
      severity: 'error',
      from: { path: '^(tools|tests)/([^/]+)/' },
      to: { path: '^(tools|tests)/', pathNot: '^$1/$2/' },
    },
    {
      name: 'testkit-only-in-tests',
      comment:
        'libs/testkit (the test WebSocket client and signer) is imported only by tests and what only tests use (the test-only files of tsconfig.build.json: *.test.ts, testing, fixtures, conformance); tests/* may import it anywhere.',
      severity: 'error',
      from: {
        path: '^(libs|services|apps|tools)/',
        pathNot:
          '^libs/testkit/|[.]test[.]ts$|(^|/)(testing|fixtures|conformance)[.]ts$|-(fixtures|conformance)[.]ts$|/(testing|fixtures)/',
      },
      to: { path: '^libs/testkit/' },
    },
    {
      name: 'no-relative-import-across-packages',
      comment: 'Another package is imported by its name (@nrelay/x), never by a ../ path.',
      severity: 'error',
      from: { path: '^(libs|services|apps|tools|tests)/([^/]+)/' },
      to: {
        dependencyTypes: ['local'],
        path: '^(libs|services|apps|tools|tests|infra|scripts)/',
        pathNot: '^$1/$2/',
      },
    },
    {
      name: 'no-deep-import',
      comment:
        'Another package is imported only through its package.json exports, never its src/ or dist/ (an unexported @nrelay/ subpath does not resolve).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, path: '^@nrelay/' },
    },
    {
      name: 'no-circular-import',
      comment:
        'No import cycle inside a package (type-only imports included: a cycle of types is a cycle of design).',
      severity: 'error',
      from: { path: '^(libs|services|apps|tools|tests)/' },
      to: {
        circular: true,
        ...(EXCEPTIONS.circular.length > 0 ? { viaOnly: { pathNot: EXCEPTIONS.circular.join('|') } } : {}),
      },
    },
  ],
  options: {
    parser: 'swc',
    // Our packages' files, and what a wrong import points at (another package's dist/, an
    // unresolvable @nrelay/ subpath), so the rules above can see it; npm packages are left out.
    includeOnly: '^((libs|services|apps|tools|tests|infra|scripts)/|@nrelay/)',
    exclude: { path: '(^|/)node_modules/' },
    doNotFollow: { path: '(^|/)(node_modules|dist)/' },
    webpackConfig: { fileName: '.dependency-cruiser-resolve.cjs' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    cache: false,
  },
};
