/**
 * How a change inside a message is classified: @asyncapi/diff's own standard stops at a
 * message's `payload` and leaves what changes inside a schema unclassified. This standard goes
 * on, keyword by keyword, with the rules of `src/shared/bus/contract.ts` (readers and senders
 * of two releases meet in both directions during a rolling update):
 * - a property added is a new optional field (a newly required one also adds to `required`);
 * - a property removed, or a `required` entry added or removed, breaks one side or the other;
 * - an enum value added is allowed only where readers map unknown values to a fallback
 *   (`x-fallback`, a tolerant enum); an enum value removed breaks;
 * - descriptions, titles, examples, `deprecated` and other `x-` annotations never break.
 * - any other keyword (`type`, `const`, `format`, a bound, a pattern, …) breaks when it changes.
 * It is handed to the differ through its `override` option, one entry per path of the two
 * documents (the previous document's win: its readers are the ones who meet the new messages).
 */
import type { Json } from './normalize';

type Kind = 'breaking' | 'non-breaking' | 'unclassified';
export interface Classifier {
  add: Kind;
  remove: Kind;
  edit: Kind;
}
export type Standard = Record<string, Classifier>;

const rule = (add: Kind, remove: Kind = 'breaking', edit: Kind = 'breaking'): Classifier => ({
  add,
  remove,
  edit,
});
const BREAKING = rule('breaking');
const ADDITIVE = rule('non-breaking');
const ANNOTATION = rule('non-breaking', 'non-breaking', 'non-breaking');

const ANNOTATIONS = new Set(['description', 'title', 'examples', 'deprecated', '$comment']);
const SUBSCHEMA = new Set(['items', 'additionalProperties', 'not', 'propertyNames']);
const SUBSCHEMAS = new Set(['anyOf', 'oneOf', 'allOf']);

/** Entries for every message of `documents` (normalized): its fields and its schemas. */
export function messageStandard(...documents: Json[]): Standard {
  const standard: Standard = {
    '/components/messages': ADDITIVE,
    '/components/messages/*': ADDITIVE,
    // Parts of operations and channels the differ's standard leaves unclassified.
    '/operations/*/reply/channel': BREAKING,
    '/operations/*/reply/messages': ADDITIVE,
    '/operations/*/reply/messages/*': ADDITIVE,
    '/operations/*/x-durable-consumers': ANNOTATION,
    '/operations/*/x-durable-consumers/*': ANNOTATION,
    '/channels/*/parameters/*': ADDITIVE,
    '/channels/*/parameters/*/default': BREAKING,
    '/channels/*/parameters/*/description': ANNOTATION,
  };
  for (const document of documents) {
    const messages = ((document.components as Json | undefined)?.messages ?? {}) as Json;
    for (const [id, message] of Object.entries(messages)) {
      const path = `/components/messages/${escape(id)}`;
      standard[path] = ADDITIVE;
      for (const [field, value] of Object.entries(message as Json)) {
        const at = `${path}/${escape(field)}`;
        if (field === 'payload' || field === 'headers') schema(standard, at, value as Json);
        else if (field === 'correlationId') {
          standard[at] = rule('non-breaking');
          standard[`${at}/location`] = BREAKING;
          standard[`${at}/description`] = ANNOTATION;
        } else standard[at] = field === 'contentType' ? BREAKING : ANNOTATION;
      }
    }
  }
  return standard;
}

function schema(standard: Standard, at: string, node: Json, how: Classifier = BREAKING): void {
  standard[at] = standard[at] ?? how;
  for (const [keyword, value] of Object.entries(node)) {
    const path = `${at}/${escape(keyword)}`;
    if (ANNOTATIONS.has(keyword) || (keyword.startsWith('x-') && keyword !== 'x-fallback')) {
      standard[path] = ANNOTATION;
    } else if (keyword === 'x-fallback') {
      standard[path] = rule('non-breaking'); // becoming tolerant is fine; less tolerant is not
    } else if (keyword === 'properties' || keyword === 'definitions') {
      standard[path] = ADDITIVE;
      for (const [name, child] of Object.entries(value as Json)) {
        schema(standard, `${path}/${escape(name)}`, child as Json, ADDITIVE);
      }
    } else if (keyword === 'required') {
      standard[path] = BREAKING;
      for (const name of Object.keys(value as Json)) standard[`${path}/${escape(name)}`] = BREAKING;
    } else if (keyword === 'enum') {
      standard[path] = BREAKING;
      const tolerant = 'x-fallback' in node;
      for (const name of Object.keys(value as Json)) {
        standard[`${path}/${escape(name)}`] = tolerant ? ADDITIVE : BREAKING;
      }
    } else if (SUBSCHEMA.has(keyword) && typeof value === 'object' && value !== null) {
      schema(standard, path, value as Json);
    } else if (SUBSCHEMAS.has(keyword)) {
      standard[path] = BREAKING;
      (value as Json[]).forEach((child, i) => schema(standard, `${path}/${i}`, child));
    } else {
      // type, const, format, pattern, bounds, lengths, and whatever else: a change breaks.
      standard[path] = BREAKING;
    }
  }
}

/** A JSON pointer segment. */
export function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
