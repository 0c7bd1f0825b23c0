/**
 * An OTLP/HTTP endpoint for the bench's observability scenario, as its own process, as a
 * collector would be: it accepts every export (200 `{}`) and counts them. In the bench's own
 * process, it would answer only when the load generator beside it let it, and the app's exporter
 * would be measured against a collector that lags.
 *
 * GET /ready answers 200 once it listens; GET /exports answers the count as JSON
 * (`{"exports": N}`). Env: PORT (required), HOST (default 127.0.0.1, loopback only).
 */
import { createServer } from 'node:http';
import { isLoopback } from './baseline-server';

const port = Number(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
if (!Number.isInteger(port) || port <= 0 || port > 65535 || !isLoopback(host)) {
  process.stderr.write('otlp-sink: PORT must be set and HOST a loopback address\n');
  process.exit(1);
}

let received = 0;
const server = createServer((request, response) => {
  const answer = (status: number, body: unknown) =>
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  if (request.method === 'GET') {
    if (request.url === '/ready') return answer(200, { status: 'ok' });
    if (request.url === '/exports') return answer(200, { exports: received });
    return answer(404, {});
  }
  request.resume();
  request.on('end', () => {
    received += 1;
    answer(200, {});
  });
});
const close = () => server.close(() => process.exit(0));
process.once('SIGTERM', close);
process.once('SIGINT', close);
server.listen(port, host);
