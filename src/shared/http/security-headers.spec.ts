import { describe, expect, it } from '@jest/globals';
import { computeSecurityHeaders } from './security-headers';

describe('security headers', () => {
  it("are helmet's defaults with a CSP that lets Swagger UI run", () => {
    const headers = computeSecurityHeaders();
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['strict-transport-security']).toMatch(/max-age=\d+/);
    expect(headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(headers['content-security-policy']).toContain(`default-src 'self'`);
    expect(headers['content-security-policy']).toContain(`script-src 'self' 'unsafe-inline'`);
    expect(headers).not.toHaveProperty('x-powered-by');
  });
});
