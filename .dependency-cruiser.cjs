// Architecture rules for hearthd, checked by `npm run lint` (depcruise src bench) and by
// test/unit/architecture.test.ts (which cruises src/ through dependency-cruiser's API).
//
// Target layout:
//   src/kernel/ src/store/ src/auth/          foundations: know nothing about features or delivery
//   src/features/<capability>/{service,repo,commands,migrations}.ts
//   src/http/ src/api/ src/cli/ src/daemon/   delivery and wiring
//   test/{support,unit,integration,e2e}/ bench/
//
// Type-only imports (`import type`, `import { type X }`) count as dependencies everywhere:
// `tsPreCompilationDeps: true` below makes dependency-cruiser read them from the TypeScript source
// before they are erased. That needs the classic TypeScript compiler API, which TypeScript 7
// (`@typescript/native` here, whose `tsc` builds the project) does not have: `typescript` in
// package.json is TypeScript 6.0's API (`@typescript/typescript6`), installed side by side for
// tools like this one and typescript-eslint.
//
// Every rule below is `error`; the architecture test fails on any violation, whatever its severity.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Modules in src/ must not depend on each other in a cycle, type-only imports included: a cycle makes ' +
        'load order matter (undefined bindings at start-up) and means the modules cannot be understood, ' +
        'tested or moved apart. Break it by moving the shared part down (kernel/, a types module) or by ' +
        'passing a dependency in.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'foundations-not-to-features-or-delivery',
      severity: 'error',
      comment:
        'src/kernel/, src/store/ and src/auth/ are the foundations every feature builds on. They must not ' +
        'reach up into src/features/ or into the delivery layers (src/http/, src/cli/, src/daemon/): ' +
        'that would tie the foundations to one feature or one surface and create cycles.',
      from: { path: '^src/(kernel|store|auth)/' },
      to: { path: '^src/(features|http|cli|daemon)/' },
    },
    {
      name: 'features-not-to-delivery',
      severity: 'error',
      comment:
        'A feature (src/features/<capability>/) is surface-independent: the HTTP server, the CLI and the ' +
        'daemon wiring call into features, never the other way round. Put what a feature needs from a ' +
        'surface behind a parameter or into src/kernel/.',
      from: { path: '^src/features/' },
      to: { path: '^src/(http|cli|daemon)/' },
    },
    {
      name: 'features-cross-only-via-service',
      severity: 'error',
      comment:
        "A feature may use another feature only through that feature's public face, its service.ts. " +
        'Its repo.ts (storage), commands.ts (surface commands), migrations.ts and any other module are ' +
        "private to it: importing them couples two features to each other's internals.",
      from: { path: '^src/features/([^/]+)/' },
      to: {
        path: '^src/features/[^/]+/',
        pathNot: ['^src/features/$1/', '^src/features/[^/]+/service\\.ts$'],
      },
    },
    {
      name: 'feature-core-no-transport-or-processes',
      severity: 'error',
      comment:
        "A feature's service.ts and repo.ts hold its rules and its storage: they must not know about " +
        'HTTP (fastify, @fastify/*, fastify-plugin, type-only imports included, so no FastifyRequest in a ' +
        'service signature) nor spawn processes (child_process, with or without the node: prefix, ' +
        'also through process.getBuiltinModule). Those belong to src/http/ and src/host/ (or src/daemon/).',
      from: { path: '^src/features/[^/]+/(service|repo)\\.ts$' },
      to: {
        path: ['^node_modules/(fastify|fastify-plugin|@fastify/[^/]+)/', '^(node:)?child_process$'],
      },
    },
    {
      name: 'src-not-to-test-or-bench',
      severity: 'error',
      comment:
        'Production code must not import test or benchmark code (test/, bench/): it is not shipped, ' + 'and it would drag test helpers into the daemon.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'bench-only-test-support',
      severity: 'error',
      comment:
        'Benchmarks may reuse the shared test helpers in test/support/ (starting a daemon, a temporary ' +
        'home, the vault harness) but nothing else of test/: unit, integration and e2e suites are not a ' +
        'library, and importing one would run or couple to its tests.',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment:
        'Every import in src/ and bench/ must resolve to a file or an installed package. Besides catching ' +
        'typos, this guards the rules above: if resolution broke (say the .js -> .ts mapping), imports ' +
        'would silently drop out of the graph and every other rule would pass vacuously.',
      from: { path: '^(src|bench)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    // Keep type-only imports in the graph (needs the classic TypeScript API, see above).
    tsPreCompilationDeps: true,
    // Also see process.getBuiltinModule('child_process') and friends.
    detectProcessBuiltinModuleCalls: true,
    // Resolve like tsc does (NodeNext: './x.js' in the source is './x.ts' on disk).
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
