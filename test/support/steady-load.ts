import { signUp } from './http-client';

/** What the users do, each with the status it answers when it works. */
const OPERATIONS = {
  me: { method: 'GET', path: '/api/users/me', ok: 200 },
  place: { method: 'POST', path: '/api/orders', ok: 201 },
  list: { method: 'GET', path: '/api/orders?limit=10', ok: 200 },
} as const;
type Operation = keyof typeof OPERATIONS;
/** The mix: as many reads of the profile as orders placed and lists read. */
const MIX: Operation[] = [
  'me',
  'me',
  'me',
  'me',
  'place',
  'place',
  'place',
  'list',
  'list',
  'list',
];
const ORDER = JSON.stringify({
  currency: 'EUR',
  items: [{ sku: 'ROLL-1', name: 'Widget', quantity: 1, unitPriceCents: 700 }],
});

/** One request of the load and how it ended: a status, or the error (a reset, a timeout). */
export interface Sent {
  operation: Operation;
  user: number;
  at: number;
  /** How long it took to answer (or fail). */
  ms?: number;
  status?: number;
  error?: string;
}

/** The operations a request of the load can be, by the module that owns its route. */
export const OPERATIONS_OF = { user: ['me'], order: ['place', 'list'] } as const;

/** The 99th percentile of how long `sent` took, in ms. */
export function p99(sent: readonly Sent[]): number {
  const ms = sent.map((s) => s.ms ?? 0).sort((a, b) => a - b);
  return ms.length === 0 ? 0 : ms[Math.min(ms.length - 1, Math.floor(ms.length * 0.99))];
}

/** Whether `sent` got its operation's status. */
export function succeeded(sent: Sent): boolean {
  return sent.status === OPERATIONS[sent.operation].ok;
}

/** Signs up and logs in `count` users, a few at a time; their access tokens. */
export async function signUpPool(url: string, count: number, concurrency = 4): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - i) }, () => signUp(url));
    tokens.push(...(await Promise.all(batch)).map((user) => user.token));
  }
  return tokens;
}

/**
 * Many users at once, each request by a random user doing a random operation of the mix,
 * `concurrency` requests in flight at the most, each worker pausing `pauseMs` between two (a
 * steady rate rather than all the machine can take: the processes being replaced need CPU to
 * start, as they would have it in a cluster). Every request is kept with how it ended.
 */
export class SteadyLoad {
  readonly sent: Sent[] = [];
  readonly startedAt = Date.now();
  /** For each user, the orders that got 201. */
  readonly created: string[][];
  private running = true;
  private readonly workers: Array<Promise<void>>;

  constructor(
    private readonly url: string,
    private readonly tokens: string[],
    options: { concurrency: number; pauseMs: number },
  ) {
    this.created = tokens.map(() => []);
    this.workers = Array.from({ length: options.concurrency }, async () => {
      while (this.running) {
        await this.one();
        await new Promise((resolve) => setTimeout(resolve, options.pauseMs));
      }
    });
  }

  /** The requests that did not get their operation's status (a 5xx, a 4xx, a reset, a timeout). */
  failed(): Sent[] {
    return this.sent.filter((s) => !succeeded(s));
  }

  /** Resolves once `count` requests succeeded since the call (the load really flows). */
  async flowing(count: number, timeoutMs: number): Promise<void> {
    const from = this.sent.length;
    const deadline = Date.now() + timeoutMs;
    while (this.sent.slice(from).filter(succeeded).length < count) {
      if (Date.now() > deadline) throw new Error(`the load did not flow within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.workers);
  }

  private async one(): Promise<void> {
    const user = Math.floor(Math.random() * this.tokens.length);
    const operation = MIX[Math.floor(Math.random() * MIX.length)];
    const { method, path } = OPERATIONS[operation];
    const sent: Sent = { operation, user, at: Date.now() };
    try {
      const res = await fetch(`${this.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.tokens[user]}`,
          ...(method === 'POST' && { 'content-type': 'application/json' }),
        },
        body: method === 'POST' ? ORDER : undefined,
        signal: AbortSignal.timeout(15_000),
      });
      const body = await res.text();
      sent.status = res.status;
      if (operation === 'place' && res.status === 201) {
        this.created[user].push((JSON.parse(body) as { id: string }).id);
      }
    } catch (error) {
      const e = error as Error & { cause?: { code?: string } };
      sent.error = e.cause?.code ?? e.message;
    }
    sent.ms = Date.now() - sent.at;
    this.sent.push(sent);
  }
}
