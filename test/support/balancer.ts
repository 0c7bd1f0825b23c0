import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** Headers of one connection, not of the message (RFC 9110 §7.6.1): never passed on. */
const HOP_BY_HOP =
  /^(connection|keep-alive|proxy-connection|transfer-encoding|upgrade|te|trailer)$/i;

const endToEnd = (headers: IncomingHttpHeaders): IncomingHttpHeaders =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.test(name)));

/** One replica behind the balancer: in rotation while its last readiness probe answered 200. */
interface Backend {
  ready: boolean;
  present: boolean;
}

/**
 * A Kubernetes Service in front of a Deployment's pods, on loopback, for the release tests.
 * What stands for what:
 * - a replica added here is a pod the Deployment created; it gets no request until its readiness
 *   probe passed (an endpoint is published only for a ready pod);
 * - the probe, `GET /ready` every `probeMs` per replica with a timeout, stands for the kubelet's
 *   readinessProbe (failureThreshold 1, as the chart sets it), and dropping a replica whose probe
 *   failed for the endpoints controller removing it (a draining process answers 503 at once);
 * - round-robin over the replicas in rotation stands for kube-proxy's choice among endpoints;
 *   kube-proxy picks per connection, this per request, on a fresh connection to the replica,
 *   so that which replica serves depends on readiness alone, as it does for a new connection;
 * - nothing is retried: a request sent to a replica that fails it fails for the client (502),
 *   and with no replica in rotation the answer is 503, as a Service with no endpoints refuses.
 */
export class ReadinessBalancer {
  private readonly backends = new Map<string, Backend>();
  /** Requests sent to each replica, kept after it is gone. */
  private readonly counts = new Map<string, number>();
  private turn = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly probeMs: number,
  ) {}

  static async start(options: { probeMs?: number } = {}): Promise<ReadinessBalancer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const balancer = new ReadinessBalancer(
      server,
      `http://127.0.0.1:${port}`,
      options.probeMs ?? 250,
    );
    server.on('request', (req: IncomingMessage, res: ServerResponse) => balancer.forward(req, res));
    return balancer;
  }

  /** A new replica: probed from now on, in rotation once ready. */
  add(url: string): void {
    if (this.backends.has(url)) return;
    const backend: Backend = { ready: false, present: true };
    this.backends.set(url, backend);
    void this.probe(url, backend);
  }

  /** The replica is gone (its process exited): no more probes. */
  remove(url: string): void {
    const backend = this.backends.get(url);
    if (backend) backend.present = false;
    this.backends.delete(url);
  }

  /** How many requests were sent to a replica. */
  served(url: string): number {
    return this.counts.get(url) ?? 0;
  }

  async close(): Promise<void> {
    for (const url of [...this.backends.keys()]) this.remove(url);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async probe(url: string, backend: Backend): Promise<void> {
    while (backend.present) {
      backend.ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
        async (res) => (await res.arrayBuffer(), res.status === 200),
        () => false,
      );
      await new Promise((resolve) => setTimeout(resolve, this.probeMs));
    }
  }

  private pick(): string | undefined {
    const ready = [...this.backends].filter(([, backend]) => backend.ready);
    if (ready.length === 0) return undefined;
    this.turn = (this.turn + 1) % ready.length;
    return ready[this.turn][0];
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const target = this.pick();
    if (!target) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no replica is ready\n');
      return;
    }
    this.counts.set(target, this.served(target) + 1);
    const { hostname, port } = new URL(target);
    const upstream = request(
      {
        host: hostname,
        port,
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers),
        agent: false, // a fresh connection: see above
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    upstream.once('error', () => {
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end('the replica failed\n');
    });
    req.pipe(upstream);
  }
}
