// @ts-check
// require-in-the-middle for modules that Jest loads.
//
// OpenTelemetry's instrumentations (pg, ioredis, mongodb) patch a library when it is required,
// through require-in-the-middle, which wraps Module.prototype.require. Jest loads modules with
// its own registry (a fresh one per test file) and never calls Module.prototype.require, so in
// a test those hooks never fire and the clients would go untraced. Two pieces close that gap:
// - this runtime (Jest's `runtime` option) calls the hooks registered in a test file's sandbox
//   for every CommonJS module it loads from node_modules, with the (exports, name, basedir)
//   that require-in-the-middle would pass;
// - `require-in-the-middle` itself is mapped (moduleNameMapper) to ./require-in-the-middle.js,
//   whose Hook registers there instead of wrapping Module.prototype.require.
// The instrumentations and their patches are the production ones; only the hook point differs.
'use strict';
const path = require('node:path');
const Runtime = require('jest-runtime').default;

/** Where a sandbox finds the hooks of its runtime (see ./require-in-the-middle.js). */
const HOOKS = Symbol.for('cleave.test.requireHooks');
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

class HookedRuntime extends Runtime {
  constructor(config, environment, ...rest) {
    super(config, environment, ...rest);
    /** @type {Set<{ modules: string[] | null, internals: boolean, onrequire: Function }>} */
    this.requireHooks = new Set();
    Object.defineProperty(environment.global, HOOKS, { value: this.requireHooks });
    // jest-runtime (pinned in package.json) evaluates every CommonJS file through its
    // cjsLoader's loadModule; each file passes here once per registry, as through Node's require.
    const loader = this.cjsLoader;
    if (typeof loader?.loadModule !== 'function') {
      throw new Error('jest-runtime changed: no cjsLoader.loadModule to hook require-in-the-middle into');
    }
    const loadModule = loader.loadModule.bind(loader);
    loader.loadModule = (localModule, from, moduleName, modulePath, options, moduleRegistry) => {
      loadModule(localModule, from, moduleName, modulePath, options, moduleRegistry);
      if (this.requireHooks.size > 0 && !options?.isInternalModule && modulePath.includes(NODE_MODULES)) {
        // Read once: a module may define module.exports as a getter (abstract-logging does).
        const loaded = localModule.exports;
        const exports = this.runHooks(loaded, modulePath);
        if (exports !== loaded) localModule.exports = exports;
      }
    };
  }

  /** What require-in-the-middle does with a freshly loaded file of a package (index.js). */
  runHooks(exports, filename) {
    const stat = packageOf(filename);
    let main;
    try {
      main = require.resolve(stat.name, { paths: [stat.basedir] }) === filename;
    } catch {
      return exports;
    }
    const internalName = stat.name + path.sep + path.relative(stat.basedir, filename);
    for (const hook of this.requireHooks) {
      if (!main && !hook.internals) continue;
      const name = main ? stat.name : internalName;
      if (hook.modules && !hook.modules.includes(stat.name)) continue;
      exports = hook.onrequire(exports, name, stat.basedir);
    }
    return exports;
  }
}

/** The package a file of node_modules belongs to: its name and its directory. */
function packageOf(filename) {
  const at = filename.lastIndexOf(NODE_MODULES) + NODE_MODULES.length;
  const parts = filename.slice(at).split(path.sep);
  const nameParts = parts[0].startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1);
  return { name: nameParts.join('/'), basedir: filename.slice(0, at) + nameParts.join(path.sep) };
}

module.exports = HookedRuntime;
module.exports.HOOKS = HOOKS;
