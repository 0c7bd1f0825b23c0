// @ts-check
// The test runner: Jest on Node 24, run by `npm test` (see package.json) with
// --experimental-vm-modules so that Jest can require() the ES modules Nest and others ship.
// The project's TypeScript is compiled by SWC (legacy decorators with their metadata, as tsc
// emits them); node_modules load as they ship, untransformed.

const { availableParallelism } = require('node:os');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  // Unit tests beside the code; integration and API tests under test/.
  testRegex: String.raw`\.(spec|int-spec|e2e-spec)\.ts$`,
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json', 'node'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
          target: 'es2022',
          keepClassNames: true,
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/'],
  // OpenTelemetry patches pg, ioredis and mongodb as they are required (require-in-the-middle);
  // under Jest that happens through this runtime and stand-in (see require-hooks.js).
  runtime: '<rootDir>/test/support/jest/require-hooks.js',
  moduleNameMapper: { '^require-in-the-middle$': '<rootDir>/test/support/jest/require-in-the-middle.js' },
  // Probes the servers (REQUIRE_SERVICES), starts the MongoDB test server, prepares PGlite and
  // compiles src for the processes the tests start; the teardown stops what it started.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // As many test files at a time as the machine has cores, from two (most suites wait on servers
  // and processes more than they compute) to four: every app process a suite starts holds up to
  // ten Postgres connections per module, and Postgres allows a hundred by default.
  // `npm test -- --maxWorkers=N` overrides it.
  maxWorkers: Math.min(4, Math.max(2, availableParallelism())),
  testSequencer: '<rootDir>/test/support/jest/sequencer.js',
  // A test (or hook) that has not finished by then has hung (node:test had no limit; the
  // slowest tests take about 2 minutes on a busy machine); files that need longer say so.
  testTimeout: 300_000,
  verbose: true,
};
