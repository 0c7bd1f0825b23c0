import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { createApp } from '../../../src/app';
import { loadConfig } from '../../../src/shared/config/config';
import { TEST_SETTINGS } from '../../support/app';

/**
 * The gateway in front of an upstream that speaks raw HTTP, to answer what no module would: an
 * answer cut off half-way through its body.
 */
describe('the gateway passing upstream answers', () => {
  let upstream: Server;
  let gateway: NestFastifyApplication;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    upstream = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.once('data', (chunk) => {
        const path = chunk.toString('latin1').split(' ')[1] ?? '';
        const body = JSON.stringify({ items: [], nextCursor: null });
        if (path === '/api/orders/cut') {
          // The length of a small answer, a tenth of its body, then the connection closes.
          socket.end(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n' +
              '{"items":[',
          );
        } else {
          socket.end(
            'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n' +
              `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
          );
        }
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as { port: number };
    const to = `http://127.0.0.1:${port}`;
    gateway = await createApp(
      loadConfig({
        ...TEST_SETTINGS,
        LOG_LEVEL: 'silent',
        MODULES: 'gateway',
        GATEWAY_UPSTREAMS: `auth=${to},user=${to},order=${to}`,
      }),
    );
    await gateway.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await gateway?.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('passes a whole answer on as it came', async () => {
    const res = await request(gateway.getHttpServer()).get('/api/orders/whole').expect(200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 503 problem+json for a small answer the upstream cut off half-way, not a broken 200', async () => {
    const res = await request(gateway.getHttpServer()).get('/api/orders/cut');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toEqual(expect.any(String));
  });
});
