/** A JSON object. */
export type Json = { [key: string]: unknown };

/**
 * A copy of an AsyncAPI document for diffing. The differ compares JSON by position, so lists
 * whose order means nothing become objects keyed by their entries: a schema's `required` and
 * `enum`, and an operation's (or its reply's) messages, keyed by message id. Then an entry
 * added or removed is one change at its own name, not a shift of every entry after it.
 * References are kept: each message is defined once, under components, and channels and
 * operations name it by an id that carries its major version.
 */
export function normalize(document: Json): Json {
  return walk(document) as Json;
}

function walk(node: unknown, key?: string): unknown {
  if (Array.isArray(node)) {
    if (key === 'required' || key === 'enum') {
      return Object.fromEntries(node.map((value) => [String(value), value]));
    }
    if (key === 'messages') {
      return Object.fromEntries(
        (node as Array<{ $ref: string }>).map((ref) => [ref.$ref.split('/').at(-1), ref]),
      );
    }
    return node.map((child) => walk(child));
  }
  if (typeof node !== 'object' || node === null) return node;
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
}
