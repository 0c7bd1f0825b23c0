import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../config/config';
import { DomainError } from '../kernel/domain-error';
import { Metrics } from '../observability/metrics';
import { Breakers } from './breakers';

const setup = () => {
  const metrics = new Metrics();
  const { breakers } = loadConfig({
    BREAKER_MIN_REQUESTS: '3',
    BREAKER_ERROR_PERCENT: '50',
    BREAKER_RESET_MS: '200',
  });
  return { breakers: new Breakers(breakers, metrics), metrics };
};
const failing = () => Promise.reject(new Error('connection refused'));
const waitUntil = async (check: () => boolean, timeoutMs = 2000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('circuit breakers', () => {
  it('open after enough failures, then fail fast with 503 without calling the dependency', async () => {
    const { breakers, metrics } = setup();
    for (let i = 0; i < 3; i++)
      await expect(breakers.run('dep', 'The dep', failing)).rejects.toThrow('connection refused');
    expect(breakers.isOpen('dep')).toBe(true);
    let called = false;
    await expect(
      breakers.run('dep', 'The dep', () => {
        called = true;
        return Promise.resolve();
      }),
    ).rejects.toMatchObject({ code: 'SERVICE.UNAVAILABLE' });
    expect(called).toBe(false);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/circuit_breaker_state\{name="dep"\} 2/);
    expect(text).toMatch(/circuit_breaker_events_total\{name="dep",event="reject"\} 1/);
    breakers.shutdown();
  });

  it('closes again after a successful trial call once the reset time passed', async () => {
    const { breakers, metrics } = setup();
    for (let i = 0; i < 3; i++)
      await breakers.run('dep', 'The dep', failing).catch(() => undefined);
    await waitUntil(() => !breakers.isOpen('dep'));
    await expect(breakers.run('dep', 'The dep', () => Promise.resolve('ok'))).resolves.toBe('ok');
    await expect(breakers.run('dep', 'The dep', () => Promise.resolve('ok'))).resolves.toBe('ok');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/circuit_breaker_state\{name="dep"\} 0/);
    // Counted on each call, read when scraped: the same totals on every scrape.
    for (const scrape of [text, await metrics.registry.metrics()]) {
      expect(scrape).toMatch(/circuit_breaker_events_total\{name="dep",event="failure"\} 3/);
      expect(scrape).toMatch(/circuit_breaker_events_total\{name="dep",event="open"\} 1/);
      expect(scrape).toMatch(/circuit_breaker_events_total\{name="dep",event="half_open"\} 1/);
      expect(scrape).toMatch(/circuit_breaker_events_total\{name="dep",event="close"\} 1/);
      expect(scrape).toMatch(/circuit_breaker_events_total\{name="dep",event="success"\} 2/);
    }
    breakers.shutdown();
  });

  it('does not count answers such as 404 or 409 as failures', async () => {
    const { breakers } = setup();
    const answer = () => Promise.reject(new DomainError('X.NOT_FOUND', 'not-found', 'no'));
    const isFailure = (e: unknown) => !(e instanceof DomainError);
    for (let i = 0; i < 5; i++)
      await breakers.run('dep', 'The dep', answer, isFailure).catch(() => undefined);
    expect(breakers.isOpen('dep')).toBe(false);
    breakers.shutdown();
  });
});
