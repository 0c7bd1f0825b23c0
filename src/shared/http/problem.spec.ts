import { describe, expect, it } from '@jest/globals';
import { fullFormats } from 'ajv-formats/dist/formats';
import { uriReference } from './problem';

const isUriReference = (value: string) => (fullFormats['uri-reference'] as RegExp).test(value);

describe('a problem’s instance', () => {
  it('is the path when it is a valid URI reference already', () => {
    for (const path of ['/api/orders', '/api/users/me', '/api/a%2Fb', "/api/x-_.~:@!$&'()*+,;="]) {
      expect(uriReference(path, 4096)).toBe(path);
    }
  });

  it('encodes what a URI reference cannot hold, so a client can parse it', () => {
    const cases: Array<[string, string]> = [
      ['/api/users/%zz', '/api/users/%25zz'],
      ['/api/users/%', '/api/users/%25'],
      ['/api/users/"<é>', '/api/users/%22%3C%C3%A9%3E'],
      ['/api/{id}|^`\\', '/api/%7Bid%7D%7C%5E%60%5C'],
      ['/api/[x]#a#b', '/api/%5Bx%5D%23a%23b'],
    ];
    for (const [path, instance] of cases) {
      expect(uriReference(path, 4096)).toBe(instance);
      expect(isUriReference(instance)).toBe(true);
      expect(isUriReference(path)).toBe(false);
    }
  });

  it('keeps to its maximum length without cutting an escape in two', () => {
    for (let max = 10; max < 20; max++) {
      const instance = uriReference(`/api/${'%'.repeat(40)}`, max);
      expect(instance.length).toBeLessThanOrEqual(max);
      expect(isUriReference(instance)).toBe(true);
    }
  });
});
