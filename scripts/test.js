#!/usr/bin/env node
// The test command: compile src and test, probe the real servers once, then run every
// `*.spec.ts`, `*.int-spec.ts` and `*.e2e-spec.ts` with Node's test runner, two files at a time.
// Usage: npm test [-- path-filter ...]
'use strict';
const { execFileSync, spawnSync } = require('node:child_process');
const { readdirSync, rmSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const out = join(root, '.test-dist');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.test.json'], {
  cwd: root,
  stdio: 'inherit',
});

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return /\.(spec|int-spec|e2e-spec)\.js$/.test(name) ? [path] : [];
  });
}

const filters = process.argv.slice(2);
const files = [...find(join(out, 'src')), ...find(join(out, 'test'))].filter(
  (file) => filters.length === 0 || filters.some((f) => relative(out, file).includes(f.replace(/\.ts$/, ''))),
);
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const { globalSetup } = require(join(out, 'test/support/global-setup.js'));
globalSetup()
  .then((cleanup) => {
    process.on('exit', cleanup);
    for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
    const result = spawnSync(
      process.execPath,
      ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files],
      { cwd: root, stdio: 'inherit', env: process.env },
    );
    process.exit(result.status ?? 1);
  })
  .catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
