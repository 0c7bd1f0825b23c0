/**
 * Module boundaries, checked on every lint run (and so in CI):
 * - a module imports nothing of another module but its `<module>.contract.ts`;
 * - `shared/` imports no module;
 * - no import cycles.
 * `app.module.ts` composes the modules and is the one place allowed to import their Nest modules.
 */
module.exports = {
  forbidden: [
    {
      name: 'module-internals',
      severity: 'error',
      comment: 'Modules talk through the bus: import only another module\'s *.contract.ts.',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/[^/]+\\.contract\\.ts$'],
      },
    },
    {
      name: 'shared-imports-no-module',
      severity: 'error',
      comment: 'shared/ holds cross-cutting code with no business rules.',
      from: { path: '^src/shared/' },
      to: { path: '^src/modules/' },
    },
    {
      name: 'only-the-composition-root-imports-modules',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/modules/', '^src/app\\.module\\.ts$'] },
      to: { path: '^src/modules/', pathNot: '^src/modules/[^/]+/[^/]+\\.contract\\.ts$' },
    },
    {
      name: 'no-cycles',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require('node:path').join(__dirname, 'tsconfig.json') },
    exclude: { path: '\\.spec\\.ts$' },
  },
};
