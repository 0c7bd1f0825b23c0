import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, ROOT_CONTEXT, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { untracedUnlessSampled } from './client-spans';

const ids = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

/** A span as the SDK hands one out: recording when sampled, not otherwise. */
function spanSampled(sampled: boolean): Span {
  const span = trace.wrapSpanContext({
    ...ids,
    traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
  });
  return sampled ? Object.assign(Object.create(span) as Span, { isRecording: () => true }) : span;
}

const activeSpan = () => trace.getSpan(context.active());

describe('untracedUnlessSampled (queries of unsampled traces make no client span)', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => void context.setGlobalContextManager(manager.enable()));
  afterAll(() => {
    manager.disable();
    context.disable();
  });

  it('runs the call without the active span when that span is not sampled, and gives it back after', async () => {
    const span = spanSampled(false);
    await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      const seen = await untracedUnlessSampled(async () => {
        await Promise.resolve();
        return activeSpan();
      });
      expect(seen).toBeUndefined();
      expect(activeSpan()).toBe(span);
    });
  });

  it('keeps a sampled span active, so that the query gets its span', async () => {
    const span = spanSampled(true);
    await context.with(trace.setSpan(ROOT_CONTEXT, span), async () => {
      expect(await untracedUnlessSampled(() => Promise.resolve(activeSpan()))).toBe(span);
    });
  });

  it('returns what the call returns, and runs it once, with no span at all', () => {
    let runs = 0;
    expect(untracedUnlessSampled(() => ++runs)).toBe(1);
    expect(runs).toBe(1);
  });
});
