/**
 * Module boundaries and the layers of `src/shared`, checked on every lint run (and so in CI):
 * - a module imports nothing of another module but its `<module>.contract.ts`;
 * - `shared/` imports no module, and nothing of the application above it;
 * - `shared/` is in layers, each folder importing only folders below it (`SHARED_LAYERS`, bottom
 *   first): the kernel (errors, ids, pagination types) imports nothing; then the platform the
 *   modules stand on; then the edge (HTTP, the probe and metrics endpoints, the gateway). So no folder of
 *   `shared/` imports another that imports it back;
 * - no import cycles.
 * `app.module.ts` composes the modules and is the one place allowed to import their Nest modules.
 */
const SHARED_LAYERS = [
  // kernel
  'kernel',
  // platform
  'modules', // the module registry
  'config',
  'observability',
  'resilience',
  'persistence',
  'bus',
  'security',
  'outbox',
  // edge
  'http',
  'health',
  'gateway', // the split shape's entry point: proxies each route prefix to its module
];

const sharedLayerRules = SHARED_LAYERS.slice(0, -1).map((layer, index) => ({
  name: 'shared-layers',
  severity: 'error',
  comment: `shared/${layer} may import only the folders of shared/ below it: ${SHARED_LAYERS.slice(0, index).join(', ') || 'none'}.`,
  from: { path: `^src/shared/${layer}/` },
  to: { path: `^src/shared/(${SHARED_LAYERS.slice(index + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...sharedLayerRules,
    {
      name: 'shared-kernel-imports-nothing',
      severity: 'error',
      comment: 'The kernel is the bottom: it imports nothing of the project.',
      from: { path: '^src/shared/kernel/' },
      to: { path: '^src/', pathNot: '^src/shared/kernel/' },
    },
    {
      name: 'shared-is-below-the-app',
      severity: 'error',
      comment: 'shared/ imports nothing of the application that is made of it.',
      from: { path: '^src/shared/' },
      to: { path: '^src/', pathNot: ['^src/shared/', '^src/modules/'] },
    },
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
