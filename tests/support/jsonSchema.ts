import { readFileSync } from 'node:fs';
// The part of JSON Schema (2020-12) that docs/events.schema.json uses: type, const, enum,
// properties/required/additionalProperties, items, oneOf, $ref into $defs, pattern, minimum/maximum.
// An unknown keyword fails loudly, so the schema cannot silently outgrow this checker.
type Schema = Record<string, unknown>;
const KNOWN = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'format',
  '$defs',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'oneOf',
  '$ref',
  'pattern',
  'minimum',
  'maximum',
]);

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
const isType = (v: unknown, t: string) => typeOf(v) === t || (t === 'number' && typeOf(v) === 'integer');

/** Errors of `value` against `schema` (empty: valid), each with its JSON path. */
export function validate(value: unknown, schema: Schema, root: Schema = schema, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) return [`${path}: schema keyword "${k}" not supported by this checker`];
  if (schema.$ref) return validate(value, (root.$defs as Record<string, Schema>)[String(schema.$ref).replace('#/$defs/', '')]!, root, path);
  if (schema.oneOf) {
    const ok = (schema.oneOf as Schema[]).map((s) => validate(value, s, root, path));
    const n = ok.filter((e) => !e.length).length;
    if (n === 1) return [];
    const t = (value as { type?: string })?.type;
    const same = (schema.oneOf as Schema[]).findIndex((s) => (s.properties as Record<string, Schema> | undefined)?.type?.const === t);
    return n ? [`${path}: matches ${n} of oneOf`] : same >= 0 ? ok[same]! : [`${path}: type "${t}" is none of the schema's events`];
  }
  const errs: string[] = [];
  if (schema.type && ![schema.type].flat().some((t) => isType(value, String(t))))
    return [`${path}: ${typeOf(value)}, expected ${[schema.type].flat().join('|')}`];
  if ('const' in schema && value !== schema.const) errs.push(`${path}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errs.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
  if (typeof value === 'string' && schema.pattern && !new RegExp(String(schema.pattern)).test(value))
    errs.push(`${path}: does not match ${schema.pattern}`);
  if (
    typeof value === 'number' &&
    ((schema.minimum !== undefined && value < Number(schema.minimum)) || (schema.maximum !== undefined && value > Number(schema.maximum)))
  )
    errs.push(`${path}: ${value} out of range`);
  if (Array.isArray(value) && schema.items)
    value.forEach((v, i) => errs.push(...validate(v, schema.items as Schema, root, `${path}[${i}]`)));
  if (typeOf(value) === 'object') {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in o)) errs.push(`${path}: missing "${r}"`);
    for (const [k, v] of Object.entries(o)) {
      if (props[k]) errs.push(...validate(v, props[k]!, root, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected "${k}"`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...validate(v, schema.additionalProperties as Schema, root, `${path}.${k}`));
    }
  }
  return errs;
}

const eventsSchema = () => JSON.parse(readFileSync('docs/events.schema.json', 'utf8')) as Schema;

/** A --json file checked line by line against docs/events.schema.json. */
export function checkEvents(file: string): { types: Set<string>; errors: string[] } {
  const schema = eventsSchema();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const types = new Set<string>();
  const errors: string[] = [];
  lines.forEach((l, i) => {
    const e = JSON.parse(l) as { type: string };
    types.add(e.type);
    errors.push(...validate(e, schema).map((x) => `line ${i + 1} (${e.type}): ${x}`));
  });
  return { types, errors };
}
