import { mkdirSync, appendFileSync } from 'node:fs';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import addFormats from 'ajv-formats';
import OpenAPIBackend, { type Operation } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import { CONFORMANCE_DIR } from './conformance-coverage';
import { OPENAPI } from './openapi';
import { rawRequest, type RawResponse } from './raw-http';

/**
 * The live contract check: every request the API suites make and every answer they get is held
 * against the committed openapi.json, by a validator nobody here wrote (openapi-backend, on
 * Ajv). An answer breaks the contract when its status is not documented for its operation, its
 * content type or body does not match the documented schema, or a documented required header
 * (such as `x-request-id`) is missing or malformed; a request the document refuses must not be
 * accepted (2xx) either. The suites' HTTP goes through a {@link ConformanceProxy} in front of the
 * app (see test/support/app.ts), and the fuzz test hands its raw exchanges to {@link check}.
 */

export interface Exchange {
  method: string;
  /** The request target: path and query, as sent. */
  target: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  requestBody: string;
  status: number;
  responseHeaders: Record<string, string | string[] | undefined>;
  responseBody: string;
}

type Document = OpenAPIV3.Document;

let shared: Promise<Conformance> | undefined;

/** The checker for the committed document, built once per test file. */
export function conformance(): Promise<Conformance> {
  shared ??= Conformance.load(OPENAPI as unknown as Document);
  return shared;
}

export class Conformance {
  /** `operationId status`, every pair some exchange reached. */
  readonly reached = new Set<string>();

  private constructor(
    private readonly document: Document,
    private readonly api: OpenAPIBackend,
  ) {}

  /** A checker for `document` (any OpenAPI 3.0 document, so a test can hand it a stricter one). */
  static async load(document: Document): Promise<Conformance> {
    const api = new OpenAPIBackend({
      definition: forBodyValidation(document),
      strict: true,
      quick: true, // validators compiled on first use; the linters judge the document itself
      validate: true,
      // Routed as the app routes: `/api/orders/` is not `/api/orders` (Fastify's router, without
      // `ignoreTrailingSlash`, answers it 404 as a path the document does not have).
      ignoreTrailingSlashes: false,
      ajvOpts: { strict: false },
      // uuid, email, date-time, uri…: formats are part of the contract, not decoration.
      customizeAjv: (ajv) => addFormats(ajv),
    });
    await api.init();
    return new Conformance(document, api);
  }

  /** Every rule the exchange breaks; empty when it keeps the contract. */
  check(exchange: Exchange): string[] {
    const url = new URL(exchange.target, 'http://cleave.invalid');
    if (!url.pathname.startsWith('/api/')) return []; // operations: /health, /ready, /metrics, /docs
    const problems: string[] = [];
    const headers = lowerCased(exchange.responseHeaders);
    if (typeof headers['x-request-id'] !== 'string') problems.push('no x-request-id');
    // A CORS preflight is the browser asking what it may send, not a call of an operation.
    if (exchange.method.toUpperCase() === 'OPTIONS') return problems;
    const request = {
      // HEAD is GET without the body (RFC 9110 §9.3.2), wherever GET is: the same operation.
      method: exchange.method.toUpperCase() === 'HEAD' ? 'get' : exchange.method.toLowerCase(),
      path: url.pathname,
      query: url.search.slice(1),
      headers: lowerCased(exchange.requestHeaders),
      body: parseJson(exchange.requestBody) ?? exchange.requestBody,
    };
    let operation: Operation | undefined;
    try {
      operation = this.api.router.matchOperation(request);
    } catch {
      operation = undefined; // a path the router itself cannot read
    }
    if (!operation) {
      // A path or method the document does not have: the router's 404/405, a refusal on arrival.
      if (exchange.status < 400) problems.push('a route the document does not have answered');
      if (!isProblem(headers) && exchange.responseBody.length > 0)
        problems.push('not problem+json');
      return problems;
    }
    const operationId = operation.operationId ?? `${operation.method} ${operation.path}`;
    this.reached.add(`${operationId} ${exchange.status}`);
    const documented = documentedResponse(operation as OpenAPIV3.OperationObject, exchange.status);
    if (!documented) {
      problems.push(`status ${exchange.status} is not documented for ${operationId}`);
      return problems;
    }
    const bodyless =
      exchange.method === 'HEAD' || exchange.status === 204 || exchange.status === 304;
    const media = mediaType(headers['content-type']);
    if (!bodyless && exchange.responseBody.length > 0) {
      const content = this.documentedContent(operation, exchange.status);
      if (!content) {
        problems.push(`a body (${media ?? 'no content type'}) where the document has none`);
      } else if (!media || !content.includes(media)) {
        problems.push(`content type ${media ?? '(none)'}, documented ${content.join(', ')}`);
      } else {
        const body = parseJson(exchange.responseBody);
        if (body === undefined) problems.push('the body is not JSON');
        else {
          const result = this.api.validator.validateResponse(body, operation, exchange.status);
          if (!result.valid) problems.push(`body: ${describe(result.errors)}`);
        }
      }
    } else if (!bodyless && this.documentedContent(operation, exchange.status)) {
      problems.push('no body where the document has one');
    }
    const headerResult = this.api.validator.validateResponseHeaders(headers, operation, {
      statusCode: exchange.status,
      setMatchType: 'superset' as never,
    });
    if (!headerResult.valid) problems.push(`headers: ${describe(headerResult.errors)}`);
    if (exchange.status < 300) {
      const requestResult = this.api.validator.validateRequest(request, operation);
      if (!requestResult.valid) {
        problems.push(
          `the document refuses this request, the server accepted it: ${describe(requestResult.errors)}`,
        );
      }
    }
    return problems;
  }

  private documentedContent(operation: Operation, status: number): string[] | undefined {
    const path = this.document.paths[operation.path];
    const original = path?.[operation.method as 'get'];
    let response: unknown = original && documentedResponse(original, status);
    // A shared answer (`$ref: '#/components/responses/…'`): the object it points at.
    for (let hops = 0; isReference(response) && hops < 10; hops += 1) {
      response = pointer(this.document, response.$ref);
    }
    const content = (response as OpenAPIV3.ResponseObject | undefined)?.content;
    return content && Object.keys(content).length > 0 ? Object.keys(content) : undefined;
  }
}

/**
 * A reverse proxy in front of a running app that checks every exchange through it. It forwards
 * requests and answers unchanged (buffered, so the answer can be read), and collects every
 * broken rule; {@link close} throws them, so the suite whose traffic broke the contract fails.
 */
export class ConformanceProxy {
  readonly violations: string[] = [];
  private readonly agent = new Agent({ keepAlive: true });

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly checker: Conformance,
  ) {}

  /** A proxy to `target` that checks against the committed document (or `checker`'s). */
  static async start(
    target: string,
    label: string,
    checker?: Conformance,
  ): Promise<ConformanceProxy> {
    checker ??= await conformance();
    const upstream = new URL(target);
    // eslint-disable-next-line prefer-const -- assigned once the server exists
    let proxy: ConformanceProxy;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('error', () => res.destroy());
      req.on('end', () => {
        const requestBody = Buffer.concat(chunks);
        const forward = httpRequest(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
            agent: proxy.agent,
          },
          (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => parts.push(chunk));
            answer.on('error', () => res.destroy());
            answer.on('end', () => {
              const body = Buffer.concat(parts);
              const headers = forwardedHeaders(answer.headers, body.length, req.method);
              res.writeHead(answer.statusCode ?? 502, headers);
              res.end(req.method === 'HEAD' ? undefined : body);
              proxy.record(label, {
                method: req.method ?? 'GET',
                target: req.url ?? '/',
                requestHeaders: req.headers,
                requestBody: requestBody.toString('utf8'),
                status: answer.statusCode ?? 0,
                responseHeaders: answer.headers,
                responseBody: body.toString('utf8'),
              });
            });
          },
        );
        // The app is gone (a test stopped or killed it): the client sees what it would without
        // the proxy, a connection that ends, not an answer the app never gave.
        forward.on('error', () => res.socket?.destroy());
        forward.end(requestBody);
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    proxy = new ConformanceProxy(server, `http://127.0.0.1:${port}`, checker);
    return proxy;
  }

  /** Stops the proxy, writes the pairs it saw for the coverage report, and throws any violation. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
    recordCoverage(this.checker);
    if (this.violations.length > 0) {
      const shown = this.violations.slice(0, 20);
      throw new Error(
        `${this.violations.length} answer(s) broke openapi.json:\n  ${shown.join('\n  ')}` +
          (this.violations.length > shown.length ? '\n  …' : ''),
      );
    }
  }

  private record(label: string, exchange: Exchange): void {
    const problems = this.checker.check(exchange);
    if (problems.length === 0) return;
    const line = `[${label}] ${exchange.method} ${exchange.target} → ${exchange.status}: ${problems.join('; ')}`;
    if (this.violations.length < 200) this.violations.push(line);
    process.stderr.write(`[openapi] ${line}\n`);
  }
}

/** Appends the pairs `checker` reached to this run's coverage files (one per test process). */
export function recordCoverage(checker: Conformance): void {
  if (checker.reached.size === 0) return;
  mkdirSync(CONFORMANCE_DIR, { recursive: true });
  appendFileSync(
    join(CONFORMANCE_DIR, `reached-${process.pid}.txt`),
    `${[...checker.reached].join('\n')}\n`,
  );
}

function isReference(value: unknown): value is OpenAPIV3.ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

/** What a local `$ref` (`#/components/…`) points at in `document`. */
function pointer(document: unknown, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], document);
}

function documentedResponse(
  operation: OpenAPIV3.OperationObject,
  status: number,
): OpenAPIV3.ResponseObject | OpenAPIV3.ReferenceObject | undefined {
  const responses = operation.responses ?? {};
  return responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
}

/**
 * openapi-backend validates JSON bodies documented as `application/json` only; problem details
 * are `application/problem+json`. Its copy of the document names every JSON media type of an
 * answer `application/json`, so that the same validator checks both; the media type itself is
 * checked against the original document.
 */
function forBodyValidation(document: Document): Document {
  const copy = structuredClone(document);
  const responses: unknown[] = Object.values(copy.components?.responses ?? {});
  for (const item of Object.values(copy.paths)) {
    for (const operation of Object.values(item ?? {})) {
      if (typeof operation === 'object' && operation !== null && 'responses' in operation)
        responses.push(...Object.values(operation.responses ?? {}));
    }
  }
  for (const response of responses) {
    if (isReference(response)) continue; // its target is among components.responses
    const content = (response as OpenAPIV3.ResponseObject).content;
    if (!content || content['application/json']) continue;
    const json = Object.entries(content).find(([type]) => /[/+]json$/.test(type));
    if (json) content['application/json'] = json[1];
  }
  return copy;
}

function forwardedHeaders(
  headers: IncomingHttpHeaders,
  length: number,
  method: string | undefined,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { ...headers };
  delete out['transfer-encoding'];
  delete out['keep-alive'];
  if (out['content-length'] === undefined && method !== 'HEAD') {
    out['content-length'] = String(length);
  }
  return out;
}

function lowerCased(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined) out[name.toLowerCase()] = value;
  return out;
}

function mediaType(value: string | string[] | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first?.split(';')[0].trim().toLowerCase() || undefined;
}

function isProblem(headers: Record<string, string | string[]>): boolean {
  return mediaType(headers['content-type']) === 'application/problem+json';
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describe(errors: unknown): string {
  const list = (errors ?? []) as Array<{ instancePath?: string; message?: string }>;
  return list
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim())
    .join(', ');
}

/** The exchange of a raw request (bytes as sent) and its answer, for {@link Conformance.check}. */
export function rawExchange(bytes: string, response: RawResponse): Exchange {
  const headEnd = bytes.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? bytes : bytes.slice(0, headEnd);
  const [requestLine = '', ...lines] = head.split('\r\n');
  const [method = '', target = '/'] = requestLine.split(' ');
  const requestHeaders: Record<string, string> = {};
  for (const line of lines) {
    const at = line.indexOf(':');
    if (at > 0) requestHeaders[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  }
  return {
    method,
    target: target.startsWith('/') ? target : '/',
    requestHeaders,
    requestBody: headEnd < 0 ? '' : bytes.slice(headEnd + 4),
    status: response.status,
    responseHeaders: response.headers,
    responseBody: response.body,
  };
}

/**
 * Sends `bytes` as they are to the app itself (no proxy could pass them on unchanged) and holds
 * the answer to the contract like any other: throws naming what it breaks.
 */
export async function checkedRawRequest(
  app: { url: string; directUrl?: string },
  bytes: string,
): Promise<RawResponse> {
  const response = await rawRequest(app.directUrl ?? app.url, bytes);
  const checker = await conformance();
  const problems = checker.check(rawExchange(bytes, response));
  if (problems.length > 0) {
    throw new Error(
      `the answer broke openapi.json: ${bytes.split('\r\n')[0]} → ${response.status}: ${problems.join('; ')}`,
    );
  }
  recordCoverage(checker);
  checker.reached.clear();
  return response;
}
