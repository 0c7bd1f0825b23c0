import { describe, expect, it } from '@jest/globals';
import { isProbe } from './probes';

describe('isProbe', () => {
  it('is true for the probe and scrape paths, with or without a query string', () => {
    for (const url of ['/health', '/ready', '/metrics', '/ready?verbose=1', '/metrics?']) {
      expect(isProbe(url)).toBe(true);
    }
  });

  it('is false for every other path, a missing one, and a probe name elsewhere in the URL', () => {
    for (const url of [undefined, '', '/', '/healthz', '/api/health', '/x?/health', '/Health']) {
      expect(isProbe(url)).toBe(false);
    }
  });
});
