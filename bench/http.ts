import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { HOST } from './settings';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** One plain HTTP request on loopback, with a timeout. */
export function request(
  port: number,
  method: string,
  path: string,
  { headers = {}, body, timeoutMs = 5000 }: RequestOptions = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const contentHeaders = payload
      ? { 'content-type': 'application/json', 'content-length': payload.length }
      : {};
    const req = httpRequest(
      {
        host: HOST,
        port,
        method,
        path,
        headers: { ...contentHeaders, ...headers },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export function expectStatus(reply: Reply, status: number, what: string): void {
  if (reply.status !== status) {
    throw new Error(
      `${what}: expected HTTP ${status}, got ${reply.status}: ${reply.body.slice(0, 500)}`,
    );
  }
}

/** A request that must answer `status`; resolves its body. */
export async function expectRequest(
  port: number,
  method: string,
  path: string,
  status: number,
  options: RequestOptions & { what?: string } = {},
): Promise<string> {
  const reply = await request(port, method, path, options);
  expectStatus(reply, status, options.what ?? `${method} ${path}`);
  return reply.body;
}
