import { describe, expect, it } from '@jest/globals';
import Fastify from 'fastify';
import request from 'supertest';
import { refuseWhileClosing } from '../../../src/shared/http/edge-errors';
import { requestIdFor } from '../../../src/shared/http/request-id';

/**
 * A request that still arrives once the server has begun to close gets what every 503 of the
 * contract is: problem+json with `Retry-After` and its request id (Fastify's own answer, which
 * the app turns off with `return503OnClosing: false`, is plain JSON with neither). The server
 * is held in its closing phase by a `preClose` hook until the request has been answered.
 */
describe('a request while the server closes', () => {
  it('gets 503 problem+json with Retry-After and its request id', async () => {
    const fastify = Fastify({
      return503OnClosing: false,
      genReqId: requestIdFor,
      forceCloseConnections: true,
    });
    refuseWhileClosing(fastify);
    fastify.get('/api/thing', () => ({ ok: true }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let closingBegan!: () => void;
    const began = new Promise<void>((resolve) => (closingBegan = resolve));
    fastify.addHook('preClose', async () => {
      closingBegan();
      await held;
    });
    const url = await fastify.listen({ port: 0, host: '127.0.0.1' });
    await request(url).get('/api/thing').expect(200);

    const closed = fastify.close();
    await began;
    const res = await request(url).get('/api/thing').set('x-request-id', 'closing-1');
    release();
    await closed;

    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toMatchObject({
      status: 503,
      code: 'SERVICE.UNAVAILABLE',
      requestId: 'closing-1',
      instance: '/api/thing',
    });
  });
});
