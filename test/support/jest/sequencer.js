// @ts-check
// Jest's order (failed first, then the slowest first), with two exceptions:
// - the first-start test keeps every core busy on purpose, so it runs last, beside as few other
//   files as possible (run early, it starved the crash test's app of CPU beyond its readiness
//   deadline);
// - the release suites (the previous release beside this one) run first: they are the longest
//   files of the run, so they are never its tail, and never beside the first-start test. On a
//   fresh clone Jest knows no durations yet and would order them by size.
// The sequencer is also the one place that sees the run's exact files before the global setup
// (Jest calls `sort` first, in the same process): it tells the global setup whether a release
// suite is in the run, because only then is the previous release worth building.
'use strict';
const Sequencer = require('@jest/test-sequencer').default;

const LAST = /startup-under-load\.e2e-spec\.ts$/;
const RELEASES = /\/releases[\w-]*\.e2e-spec\.ts$/;

class CleaveSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    const releases = sorted.filter((t) => RELEASES.test(t.path));
    if (releases.length > 0) process.env.CLEAVE_TEST_RUNS_RELEASES = '1';
    const rest = sorted.filter((t) => !RELEASES.test(t.path));
    return [
      ...releases,
      ...rest.filter((t) => !LAST.test(t.path)),
      ...rest.filter((t) => LAST.test(t.path)),
    ];
  }
}

module.exports = CleaveSequencer;
