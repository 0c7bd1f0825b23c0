import { expect } from '@jest/globals';

/** The fields of a finished span that a trace tree is made of. */
export interface TreeSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  service?: string;
}

/**
 * Checks that the spans of one `POST /api/orders` form one trace tree: one root, every other
 * span's parent in the trace, and beneath the order module's HTTP span the bus hop (request
 * and its handler as a child) and the `order.created` event (publish, and its processing as a
 * child). Returns the spans of the trace.
 */
export function expectOrderTrace(spans: TreeSpan[], orderServerSpan: TreeSpan): TreeSpan[] {
  const trace = spans.filter((s) => s.traceId === orderServerSpan.traceId);
  const byId = new Map(trace.map((s) => [s.spanId, s]));
  const roots = trace.filter((s) => !s.parentSpanId || !byId.has(s.parentSpanId));
  expect(roots.map((s) => s.name)).toHaveLength(1);
  const isBeneath = (span: TreeSpan, ancestor: TreeSpan): boolean => {
    for (let s = span; s.parentSpanId;) {
      const parent = byId.get(s.parentSpanId);
      if (!parent) return false;
      if (parent.spanId === ancestor.spanId) return true;
      s = parent;
    }
    return false;
  };
  const one = (name: string): TreeSpan => {
    const found = trace.filter((s) => s.name === name);
    expect({ name, count: found.length }).toEqual({ name, count: 1 });
    return found[0];
  };
  const checkRequest = one('user.check-account request');
  const checkHandle = one('user.check-account handle');
  const publish = one('order.created publish');
  const process = one('order.created process');
  expect(isBeneath(checkRequest, orderServerSpan)).toBe(true);
  expect(checkHandle.parentSpanId).toBe(checkRequest.spanId);
  expect(isBeneath(publish, orderServerSpan)).toBe(true);
  expect(process.parentSpanId).toBe(publish.spanId);
  return trace;
}
