import { describe, expect, it } from '@jest/globals';
import { isValidSpanId, isValidTraceId } from '@opentelemetry/api';
import { PooledIdGenerator } from './trace-ids';

describe('PooledIdGenerator (trace and span ids cut from a pool of random bytes)', () => {
  it('gives valid W3C ids of the right length, all different, across many refills of its pool', () => {
    const ids = new PooledIdGenerator();
    const traceIds = new Set<string>();
    const spanIds = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const traceId = ids.generateTraceId();
      const spanId = ids.generateSpanId();
      expect(isValidTraceId(traceId)).toBe(true);
      expect(isValidSpanId(spanId)).toBe(true);
      traceIds.add(traceId);
      spanIds.add(spanId);
    }
    expect(traceIds.size).toBe(2000);
    expect(spanIds.size).toBe(2000);
  });

  it('draws again rather than hand out an all-zero id, which W3C trace context forbids', () => {
    // A pool of 48 bytes that comes out all zeros the first time, and not the next.
    let fills = 0;
    const ids = new PooledIdGenerator(
      (pool) => (++fills === 1 ? pool.fill(0) : pool.fill(0xab)),
      Buffer.alloc(48),
    );
    const traceId = ids.generateTraceId();
    expect(traceId).toBe('ab'.repeat(16));
    expect(isValidSpanId(ids.generateSpanId())).toBe(true);
  });
});
