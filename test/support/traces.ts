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
 * Checks that the spans of one request form one trace tree: one root, every other span's
 * parent in the trace, and beneath the module's HTTP span `server` each bus hop, the sending
 * span (`<pattern> request`, `<type> publish`) with the receiving one (`… handle`, `… process`)
 * as its child. Returns the spans of the trace.
 */
export function expectTraceTree(
  spans: TreeSpan[],
  server: TreeSpan,
  hops: ReadonlyArray<readonly [send: string, receive: string]>,
): TreeSpan[] {
  const trace = spans.filter((s) => s.traceId === server.traceId);
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
  for (const [sendName, receiveName] of hops) {
    const send = one(sendName);
    expect({ send: sendName, beneathServer: isBeneath(send, server) }).toEqual({
      send: sendName,
      beneathServer: true,
    });
    expect(one(receiveName).parentSpanId).toBe(send.spanId);
  }
  return trace;
}

/** `POST /api/orders`: its `order.created` event, published by the relay, to its handler. */
export const ORDER_HOPS = [['order.created publish', 'order.created process']] as const;

/** `POST /api/auth/login`: the credential check, asked of the user module over the bus. */
export const LOGIN_HOPS = [
  ['user.verify-credentials request', 'user.verify-credentials handle'],
] as const;
