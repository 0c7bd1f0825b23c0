// @ts-check
// Jest's order (failed first, then the slowest first), with one exception: the first-start test
// keeps every core busy on purpose, so it runs last, beside as few other files as possible
// (run early, it starved the crash test's app of CPU beyond its readiness deadline).
'use strict';
const Sequencer = require('@jest/test-sequencer').default;

const LAST = /startup-under-load\.e2e-spec\.ts$/;

class CleaveSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [...sorted.filter((t) => !LAST.test(t.path)), ...sorted.filter((t) => LAST.test(t.path))];
  }
}

module.exports = CleaveSequencer;
