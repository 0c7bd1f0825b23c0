import { createServer, type Server, Socket } from 'node:net';

export type ProxyMode =
  /** Bytes flow both ways (after `delayMs`, if set). */
  | 'pass'
  /** The server is gone: every connection, open or new, is reset at once. */
  | 'down'
  /**
   * The network hangs: connections are accepted and bytes are held back, in both directions,
   * until the mode changes (then they flow on, as TCP delivers after a partition heals).
   */
  | 'blackhole';

/**
 * A loopback TCP proxy in front of a real server, for dependency-failure tests: it can cut
 * (reset) connections, swallow them (a hung server), or delay every chunk. Listens on
 * 127.0.0.1 only; `close()` ends every socket it opened.
 */
export class TcpProxy {
  private mode: ProxyMode = 'pass';
  private delayMs = 0;
  private readonly sockets = new Set<Socket>();
  /** Bytes held back while in `blackhole`, per destination, in order. */
  private readonly held = new Map<Socket, Buffer[]>();
  /** Connections accepted during `blackhole`, connected upstream once it ends. */
  private readonly waiting = new Map<Socket, { host: string; port: number }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const ref: { proxy?: TcpProxy } = {};
    const server = createServer((client) => ref.proxy?.accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    ref.proxy = new TcpProxy(server, (server.address() as { port: number }).port);
    return ref.proxy;
  }

  /** `url` with its host and port replaced by this proxy's. */
  rewrite(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  set(mode: ProxyMode, delayMs = 0): void {
    this.mode = mode;
    this.delayMs = delayMs;
    if (mode === 'down') for (const socket of this.sockets) socket.resetAndDestroy();
    if (mode !== 'blackhole') {
      for (const [to, chunks] of this.held)
        for (const chunk of chunks) if (to.writable) to.write(chunk);
      this.held.clear();
      for (const [client, target] of this.waiting) this.connect(client, target);
      this.waiting.clear();
    }
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    this.track(client);
    if (this.mode === 'blackhole') {
      this.waiting.set(client, target);
      return;
    }
    this.connect(client, target);
  }

  private connect(client: Socket, target: { host: string; port: number }): void {
    if (client.destroyed) return;
    const upstream = new Socket();
    this.track(upstream);
    upstream.connect(target.port, target.host);
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.once('close', end);
    upstream.once('close', end);
  }

  private pipe(from: Socket, to: Socket): void {
    from.on('data', (chunk: Buffer) => {
      if (this.mode === 'blackhole') {
        this.held.set(to, [...(this.held.get(to) ?? []), chunk]);
        return;
      }
      if (this.delayMs > 0) setTimeout(() => to.writable && to.write(chunk), this.delayMs);
      else if (to.writable) to.write(chunk);
    });
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
