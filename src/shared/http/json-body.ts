import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';
import { DomainError } from '../kernel/domain-error';
import type { FieldError } from './problem';
import { ValidationFailed } from './validation';

/** The largest request body: past it, 413 before anything is parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The deepest nesting of objects and arrays a request body may have. The API's deepest body
 * (an order: body → items → item) needs 3; 32 leaves room and refuses the thousands of levels
 * that would otherwise cost JSON.parse, the validators and every later walk a deep recursion.
 */
export const MAX_JSON_DEPTH = 32;

/** The body is not JSON (or uses `__proto__` / `constructor.prototype` keys). */
export class MalformedJson extends DomainError {
  constructor() {
    super('REQUEST.MALFORMED_JSON', 'invalid', 'The request body is not valid JSON.');
  }
}

/**
 * JSON bodies, checked before any work is done (see `parseJsonBody`: nesting depth, NUL and
 * unpaired surrogates), with `__proto__` and `constructor.prototype` keys refused. Bodiless
 * POSTs (`/cancel`) often carry `Content-Type: application/json` anyway: an empty body is none.
 */
export function parseJsonBodies(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = body.toString();
      if (text === '') return done(null, undefined);
      try {
        done(null, parseJsonBody(text, parseSecureJson));
      } catch (error) {
        done(error as Error, undefined);
      }
    },
  );
}

function parseSecureJson(text: string): unknown {
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new MalformedJson();
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Checks a JSON request body's text before and after parsing; a refusal is a 400 naming the
 * field. Before: nesting deeper than MAX_JSON_DEPTH (one pass over the text that stops where
 * the limit is crossed, so a megabyte of `[` costs no parse). After: strings (values and keys)
 * holding NUL or an unpaired UTF-16 surrogate, which no database keeps faithfully; both can only
 * come from `\u` escapes, so a body without one is not walked.
 */
export function parseJsonBody(text: string, parse: (text: string) => unknown): unknown {
  const tooDeepAt = depthExceededAt(text);
  if (tooDeepAt >= 0) {
    throw new ValidationFailed([
      {
        field: pathAt(text, tooDeepAt),
        message: `is nested deeper than ${MAX_JSON_DEPTH} levels`,
      },
    ]);
  }
  const value = parse(text);
  if (text.includes('\\u')) {
    const errors: FieldError[] = [];
    findBadStrings(value, '', errors);
    if (errors.length > 0) throw new ValidationFailed(errors);
  }
  return value;
}

/** Where in `text` an object or array opens past MAX_JSON_DEPTH, or -1. */
function depthExceededAt(text: string): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return -1;
}

/**
 * The field path (`items[0].name` style) of the container that opens at `end`, read from the
 * text before it. Only for a refusal, so it may take its time.
 */
function pathAt(text: string, end: number): string {
  const frames: Array<{ array: boolean; key: string; index: number }> = [];
  let lastString = '';
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i + 1;
      for (i = start; i < end && text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) i++;
      }
      lastString = text.slice(start, i);
    } else if (c === 0x3a /* : */) {
      const top = frames.at(-1);
      if (top && !top.array) top.key = lastString;
    } else if (c === 0x2c /* , */) {
      const top = frames.at(-1);
      if (top?.array) top.index++;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      frames.push({ array: c === OPEN_BRACKET, key: '', index: 0 });
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      frames.pop();
    }
  }
  return frames.reduce(
    (path, frame) =>
      frame.array ? `${path}[${frame.index}]` : path === '' ? frame.key : `${path}.${frame.key}`,
    '',
  );
}

const NUL = '\u0000';

function isBadString(value: string): boolean {
  return value.includes(NUL) || !value.isWellFormed();
}

function findBadStrings(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value === 'string') {
    if (isBadString(value)) errors.push({ field: path, message: BAD_STRING });
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => findBadStrings(item, `${path}[${index}]`, errors));
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const name = isBadString(key) ? key.toWellFormed().replaceAll(NUL, '\uFFFD') : key;
      const field = path === '' ? name : `${path}.${name}`;
      if (isBadString(key)) errors.push({ field, message: BAD_KEY });
      else findBadStrings(item, field, errors);
    }
  }
}

const BAD_STRING = 'must not contain NUL characters or unpaired UTF-16 surrogates';
const BAD_KEY = 'is a field name with NUL characters or unpaired UTF-16 surrogates';
