import { afterAll, beforeAll } from '@jest/globals';

/**
 * A plain object the tests of the enclosing `describe` share: `beforeAll` fills it with the
 * fields of what `make` gives, and `afterAll` hands it to `dispose` if it was made. It is empty
 * until then: read it in hooks and tests, never while the block is declared.
 */
export function sharedFixture<T extends object>(
  make: () => Promise<T>,
  dispose?: (value: T) => Promise<unknown>,
): T {
  const value = {} as T;
  let made = false;
  beforeAll(async () => {
    Object.assign(value, await make());
    made = true;
  });
  if (dispose) {
    afterAll(async () => {
      if (made) await dispose(value);
    });
  }
  return value;
}
