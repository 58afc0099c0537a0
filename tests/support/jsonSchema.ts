// docs/events.schema.json checked with Ajv (JSON Schema 2020-12, formats such as date-time). The
// events are a oneOf told apart by `type`, so the discriminator keyword makes Ajv report the
// errors of the one event a line claims to be, not of all thirty.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Schema = Record<string, unknown>;

const compiled = new WeakMap<Schema, ValidateFunction>();
function compile(schema: Schema): ValidateFunction {
  const known = compiled.get(schema);
  if (known) return known;
  const ajv = new Ajv2020({ allErrors: true, strict: true, discriminator: true });
  addFormats.default(ajv);
  const v = ajv.compile(schema);
  compiled.set(schema, v);
  return v;
}

const say = (e: ErrorObject) =>
  `${e.instancePath || '$'}: ${e.keyword === 'additionalProperties' ? `unexpected "${String(e.params.additionalProperty)}"` : e.message}`;

/** Errors of `value` against `schema` (empty: valid), each with its JSON path. */
export function validate(value: unknown, schema: Schema): string[] {
  const v = compile(schema);
  return v(value) ? [] : (v.errors ?? []).map(say);
}

/** A --json file checked line by line against docs/events.schema.json. */
export function checkEvents(file: string): { types: Set<string>; errors: string[] } {
  const schema = JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Schema;
  const types = new Set<string>();
  const errors: string[] = [];
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .forEach((l, i) => {
      const e = JSON.parse(l) as { type: string };
      types.add(e.type);
      errors.push(...validate(e, schema).map((x) => `line ${i + 1} (${e.type}): ${x}`));
    });
  return { types, errors };
}
