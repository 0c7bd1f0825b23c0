import { describe, expect, it } from '@jest/globals';
import { computeSecurityHeaders, isDocs, securityHeadersFor } from './security-headers';

describe('security headers', () => {
  const headers = computeSecurityHeaders();

  it("are a JSON API's for every answer but the documentation's", () => {
    for (const url of ['/api/users/me', '/health', '/docsx', '/documents', '/api/docs', '/']) {
      const set = securityHeadersFor(headers, url);
      expect(set['cache-control']).toBe('no-store');
      expect(set['content-security-policy']).toBe(`default-src 'none'; frame-ancestors 'none'`);
      expect(set['x-frame-options']).toBe('DENY');
      expect(set['x-content-type-options']).toBe('nosniff');
      expect(set['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(set).not.toHaveProperty('x-powered-by');
    }
  });

  it("are helmet's defaults with a CSP that lets Swagger UI run for the documentation", () => {
    for (const url of ['/docs', '/docs/', '/docs/swagger-ui.css', '/docs?x=1']) {
      expect(isDocs(url)).toBe(true);
      const set = securityHeadersFor(headers, url);
      expect(set['content-security-policy']).toContain(`default-src 'self'`);
      expect(set['content-security-policy']).toContain(`script-src 'self' 'unsafe-inline'`);
      expect(set['x-frame-options']).toBe('SAMEORIGIN');
      expect(set['x-content-type-options']).toBe('nosniff');
      expect(set).not.toHaveProperty('cache-control');
    }
  });
});
