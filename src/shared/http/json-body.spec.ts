import { describe, expect, it } from '@jest/globals';
import { MalformedJson, MAX_JSON_DEPTH, parseJsonBody } from './json-body';
import { ValidationFailed } from './validation';

const parse = (text: string) => parseJsonBody(text, (t) => JSON.parse(t) as unknown);

function refusal(text: string): ValidationFailed {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof ValidationFailed) return error;
    throw error;
  }
  throw new Error(`accepted ${text.slice(0, 80)}`);
}

describe('parseJsonBody', () => {
  it(`accepts ${MAX_JSON_DEPTH} levels of nesting and refuses one more, naming the field`, () => {
    const nested = (levels: number) => '{"a":'.repeat(levels - 1) + '[]' + '}'.repeat(levels - 1);
    expect(parse(nested(MAX_JSON_DEPTH))).toBeDefined();
    const error = refusal(nested(MAX_JSON_DEPTH + 1));
    expect(error.errors).toEqual([
      {
        field: Array(MAX_JSON_DEPTH).fill('a').join('.'),
        message: `is nested deeper than ${MAX_JSON_DEPTH} levels`,
      },
    ]);
  });

  it('names the array element where the nesting gets too deep, past earlier siblings', () => {
    const deep = '['.repeat(40) + ']'.repeat(40);
    const error = refusal(`{"currency":"EUR","items":[{"sku":"a"},{"x":[1,"[{"]},${deep}]}`);
    expect(error.errors[0]?.field).toBe(`items[2]${'[0]'.repeat(MAX_JSON_DEPTH - 2)}`);
  });

  it('refuses a megabyte of brackets without parsing it', () => {
    const huge = '['.repeat(1 << 19) + ']'.repeat(1 << 19);
    let parsed = false;
    expect(() =>
      parseJsonBody(huge, (t) => {
        parsed = true;
        return JSON.parse(t) as unknown;
      }),
    ).toThrow(ValidationFailed);
    expect(parsed).toBe(false);
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ name: `${'['.repeat(100)}"\\${'{'.repeat(100)}` });
    expect(parse(text)).toEqual(JSON.parse(text));
  });

  it('refuses NUL and unpaired surrogates in values and keys, naming each field', () => {
    const error = refusal(
      '{"name":"a\\u0000b","items":[{"sku":"\\ud800"},{"sku":"x\\udc00y"}],"ok\\u0000":1}',
    );
    expect(error.errors.map((e) => e.field)).toEqual([
      'name',
      'items[0].sku',
      'items[1].sku',
      'ok\uFFFD',
    ]);
  });

  it('accepts paired surrogates (emoji) and an escaped backslash before u0000', () => {
    expect(parse('{"name":"\\ud83d\\ude00 ok","note":"\\\\u0000"}')).toEqual({
      name: '😀 ok',
      note: '\\u0000',
    });
  });

  it('lets the parser refuse what is not JSON', () => {
    expect(() =>
      parseJsonBody('{"a":', () => {
        throw new MalformedJson();
      }),
    ).toThrow(MalformedJson);
  });
});
