import { z } from 'zod';

/** A JSON Schema (draft-07, which AsyncAPI 3's default schema format extends). */
export type JsonSchema = { [keyword: string]: unknown };

/**
 * The JSON Schema of what a reader of `schema` accepts (zod's input side: `roleList`'s
 * transform reads an array of strings). A tolerant enum (`tolerantEnum`, a `.catch`) shows its
 * values and names its fallback in `x-fallback`: a value a reader does not know reads as that,
 * which is why adding a value to it is a minor change.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      if (zodSchema._zod.def.type !== 'catch' || jsonSchema.default === undefined) return;
      jsonSchema['x-fallback'] = jsonSchema.default;
      delete jsonSchema.default;
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}
