// @ts-check
// Stands in for require-in-the-middle inside Jest (moduleNameMapper): a Hook registers with the
// test file's runtime (./require-hooks.js), which calls it for each module it loads.
'use strict';

const HOOKS = Symbol.for('cleave.test.requireHooks');

/**
 * @param {string[] | null | Function} modules
 * @param {{ internals?: boolean } | null | Function} [options]
 * @param {Function} [onrequire]
 */
function Hook(modules, options, onrequire) {
  if (!(this instanceof Hook)) return new Hook(modules, options, onrequire);
  if (typeof modules === 'function') {
    onrequire = modules;
    modules = null;
    options = null;
  } else if (typeof options === 'function') {
    onrequire = options;
    options = null;
  }
  /** @type {Set<object> | undefined} */
  const hooks = /** @type {any} */ (globalThis)[HOOKS];
  if (!hooks) throw new Error('require-in-the-middle under Jest needs the runtime of test/support/jest/require-hooks.js');
  this._hooks = hooks;
  this._entry = { modules: Array.isArray(modules) ? modules : null, internals: options?.internals === true, onrequire };
  hooks.add(this._entry);
}

Hook.prototype.unhook = function () {
  this._hooks.delete(this._entry);
};

module.exports = Hook;
module.exports.Hook = Hook;
