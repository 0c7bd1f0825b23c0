import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor, toPage } from './pagination';
import { ValidationFailed } from './validation';

describe('cursor pagination', () => {
  const id = '0b9f3c1e-4d7a-4f0e-9a53-0c2f1b7d8e91';

  it('round-trips a cursor through its opaque form', () => {
    const createdAt = new Date('2026-11-25T04:00:00.123Z');
    expect(decodeCursor(encodeCursor({ createdAt, id }))).toEqual({ createdAt, id });
  });

  it('rejects a cursor it did not make', () => {
    expect(() => decodeCursor('not-a-cursor')).toThrow(ValidationFailed);
    expect(() => decodeCursor(Buffer.from('yesterday|x').toString('base64url'))).toThrow(
      ValidationFailed,
    );
  });

  it('gives a next cursor only when more rows exist', () => {
    const rows = [3, 2, 1].map((n) => ({ id, createdAt: new Date(n * 1000), n }));
    const full = toPage(rows, 2, (r) => r.n);
    expect(full.items).toEqual([3, 2]);
    expect(decodeCursor(full.nextCursor ?? undefined)?.createdAt).toEqual(new Date(2000));
    expect(toPage(rows, 3, (r) => r.n).nextCursor).toBeNull();
  });
});
