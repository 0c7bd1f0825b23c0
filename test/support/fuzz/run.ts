import fc from 'fast-check';
import { conformance, rawExchange, recordCoverage } from '../conformance';
import { rawRequest, type RawResponse } from '../raw-http';
import { fuzzRequests, USER_SLOTS, type FuzzRequest, type PathValue } from './requests';

/** What no answer may ever carry: stacks, paths, SQL, driver or framework internals. */
export const LEAKS =
  /\bat .+\(.+:\d+:\d+\)|node_modules|\/work\/|\/src\/|\/dist\/|\bFST_|\bHPE_|\bERR_[A-Z_]+\b|\bSELECT\b|\bINSERT INTO\b|QueryFailed|MongoServer|pg-pool|TypeError|ReferenceError|RangeError|SyntaxError/;

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The fuzz run's own accounts and order: what symbolic parts of a request resolve to. */
export interface FuzzContext {
  url: string;
  adminToken: string;
  users: Array<{ token: string; id: string; orderId: string }>;
  /** Replaces an account the run deleted (or whose sessions it revoked). */
  replaceUser(slot: number): Promise<void>;
}

function resolvePath(request: FuzzRequest, context: FuzzContext, slot: number): string {
  const user = context.users[slot] ?? context.users[0];
  let i = 0;
  return request.route.replace(/\{[^}]+\}/g, () => {
    const part: PathValue = request.path[i++] ?? { kind: 'own-order' };
    if (part.kind === 'own-order') return user.orderId;
    if (part.kind === 'own-user') return user.id;
    return part.value;
  });
}

/** The request as bytes on the wire. */
export function serialize(request: FuzzRequest, context: FuzzContext): string {
  const slot = request.auth.kind === 'user' ? request.auth.slot : 0;
  const query = request.query.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join('&');
  const target = resolvePath(request, context, slot) + (query ? `?${query}` : '');
  const headers: Array<[string, string]> = [
    ['host', 'localhost'],
    ['connection', 'close'],
    ...request.headers,
  ];
  const auth = request.auth;
  if (auth.kind === 'user') headers.push(['authorization', `Bearer ${context.users[slot].token}`]);
  if (auth.kind === 'admin') headers.push(['authorization', `Bearer ${context.adminToken}`]);
  if (auth.kind === 'raw') headers.push(['authorization', auth.value]);
  const body = request.body === undefined ? '' : request.body;
  if (request.body !== undefined) headers.push(['content-length', String(Buffer.byteLength(body))]);
  return `${request.method} ${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
}

/** Throws, naming the broken rule, unless the answer keeps every promise of the contract. */
export function checkAnswer(request: FuzzRequest, response: RawResponse): void {
  const fail = (rule: string) => {
    throw new Error(
      `${rule}: got ${response.status} ${response.headers['content-type'] ?? ''} ${response.body.slice(0, 300)}`,
    );
  };
  if (!(response.status >= 100 && response.status < 500)) fail('no input gets a 5xx');
  const id = response.headers['x-request-id'];
  if (!id) fail('every answer carries x-request-id');
  const sent = request.headers.find(([k]) => k === 'x-request-id')?.[1];
  // A request the HTTP parser refused has no headers to echo from: it gets a fresh id.
  const parsed = !/"code":"REQUEST\.(MALFORMED|HEADERS_TOO_LARGE)"/.test(response.body);
  if (parsed && sent !== undefined && SANE_ID.test(sent) && id !== sent) {
    fail('a sane x-request-id is echoed');
  }
  if (LEAKS.test(response.body)) fail('no internals reach a client');
  if (request.method === 'HEAD' || response.status === 204 || response.status === 304) return;
  const type = response.headers['content-type'] ?? '';
  if (response.status >= 400) {
    if (!type.startsWith('application/problem+json')) fail('every error is problem+json');
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(response.body) as Record<string, unknown>;
    } catch {
      return fail('a problem is JSON');
    }
    if (body.status !== response.status) fail('the problem names its status');
    for (const key of ['type', 'title', 'detail'])
      if (typeof body[key] !== 'string') fail(`a problem has ${key}`);
    if (body.requestId !== id) fail('a problem repeats its x-request-id as requestId');
  }
}

export interface FuzzReport {
  seed: number;
  runs: number;
  statuses: Record<number, number>;
  ms: number;
}

/**
 * Sends `runs` generated requests one at a time and checks every answer. A failure is shrunk by
 * fast-check to the smallest request that still fails, and reported with the seed that replays
 * it (`FUZZ_SEED=<seed> npm test -- fuzz`).
 */
export async function fuzz(context: FuzzContext, runs: number, seed: number): Promise<FuzzReport> {
  const statuses: Record<number, number> = {};
  const slow: string[] = [];
  const contract = await conformance();
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fuzzRequests(), async (request) => {
      const sentAt = Date.now();
      const bytes = serialize(request, context);
      const response = await rawRequest(context.url, bytes);
      const took = Date.now() - sentAt;
      if (took > 1000)
        slow.push(`${took} ms: ${request.method} ${request.route} -> ${response.status}`);
      statuses[response.status] = (statuses[response.status] ?? 0) + 1;
      checkAnswer(request, response);
      // And the committed openapi.json documents it: status, content type, body and headers.
      const broken = contract.check(rawExchange(bytes, response));
      if (broken.length > 0) {
        throw new Error(`the answer broke openapi.json (${response.status}): ${broken.join('; ')}`);
      }
      // The run deleted (or revoked) one of its accounts: carry on with a fresh one.
      if (
        request.auth.kind === 'user' &&
        response.status === 204 &&
        request.route.startsWith('/api/users/me')
      ) {
        await context.replaceUser(request.auth.slot);
      }
    }),
    { numRuns: runs, seed, endOnFailure: false, verbose: 1 },
  );
  recordCoverage(contract);
  if (slow.length > 0) process.stdout.write(`[fuzz] slow: ${slow.slice(0, 20).join('; ')}\n`);
  return { seed, runs, statuses, ms: Date.now() - started };
}

export { USER_SLOTS };
