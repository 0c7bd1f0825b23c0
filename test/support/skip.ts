import { describe, it } from '@jest/globals';

type Body = () => void | Promise<unknown>;

/**
 * `describe`, or, when `skip` gives a reason (a server or tool this suite needs is missing),
 * `describe.skip` with the reason in its name, so the report says why its tests did not run.
 */
export function describeOrSkip(title: string, skip: string | false, fn: () => void): void {
  if (skip) describe.skip(`${title} (skipped: ${skip})`, fn);
  else describe(title, fn);
}

/** `it`, or `it.skip` with the reason in its name when `skip` gives one. */
export function itOrSkip(title: string, skip: string | false, fn: Body, timeout?: number): void {
  if (skip) it.skip(`${title} (skipped: ${skip})`, fn);
  else it(title, fn, timeout);
}
