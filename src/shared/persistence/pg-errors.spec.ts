import { describe, expect, it } from '@jest/globals';
import { isConnectionLost } from './pg-errors';

describe('isConnectionLost', () => {
  it('is true where a statement may have committed with its answer lost', () => {
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(
      isConnectionLost(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })),
    ).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(true);
  });

  it('is false for a timeout, a connection never made or closed on purpose, or anything else', () => {
    expect(isConnectionLost(new Error('Query read timeout'))).toBe(false);
    expect(isConnectionLost(new Error('Connection terminated due to connection timeout'))).toBe(
      false,
    );
    expect(isConnectionLost(new Error('Connection terminated'))).toBe(false);
    const cancelled = Object.assign(new Error('canceling statement due to statement timeout'), {
      code: '57014',
    });
    expect(isConnectionLost(cancelled)).toBe(false);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isConnectionLost(refused)).toBe(false);
    expect(isConnectionLost(undefined)).toBe(false);
    expect(isConnectionLost('Connection terminated')).toBe(false);
  });
});
