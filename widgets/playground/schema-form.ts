// A tool's JSON input schema as form fields, and the form's values back as tool arguments.
// Pure: no DOM, no React, so the rules are unit-tested on their own.

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
  minimum?: number;
  maximum?: number;
  default?: unknown;
}

interface FieldBase {
  /** Property name. */
  name: string;
  /** Dotted path from the arguments' root, e.g. shipping_address.postal_code; unique per form. */
  path: string;
  required: boolean;
  description?: string;
}

export type Field =
  | (FieldBase & { kind: 'text' })
  | (FieldBase & { kind: 'number'; integer: boolean; minimum?: number; maximum?: number })
  | (FieldBase & { kind: 'checkbox' })
  | (FieldBase & { kind: 'select'; options: string[] })
  | (FieldBase & { kind: 'list'; itemType: 'string' | 'number' | 'integer' })
  | (FieldBase & { kind: 'object'; fields: Field[] })
  | (FieldBase & { kind: 'json' });

/**
 * What the form holds: strings as typed, booleans for checkboxes (undefined = not sent, so an
 * optional flag keeps the server's default), nested records for sub-forms.
 */
export type FormValue = string | boolean | undefined | FormValues;
export interface FormValues {
  [name: string]: FormValue;
}

/** `{type: X}` or `anyOf: [X, {type: null}]` (a nullable X, as zod emits) gives X; otherwise undefined. */
function singleType(schema: JsonSchema): { type: string; schema: JsonSchema } | undefined {
  if (typeof schema.type === 'string') return { type: schema.type, schema };
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== 'null');
    return types.length === 1 ? { type: types[0], schema } : undefined;
  }
  const options = (schema.anyOf ?? schema.oneOf)?.filter((s) => s.type !== 'null');
  if (options?.length === 1) return singleType(options[0]);
  if (schema.enum) return { type: 'string', schema };
  return undefined;
}

export function fieldsFor(schema: JsonSchema, prefix = ''): Field[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, prop]): Field => {
    const base: FieldBase = { name, path: prefix + name, required: required.has(name), ...(prop.description ? { description: prop.description } : {}) };
    const t = singleType(prop);
    if (!t) return { ...base, kind: 'json' };
    const s = t.schema;
    if (s.enum && s.enum.every((v) => typeof v === 'string')) return { ...base, kind: 'select', options: s.enum as string[] };
    switch (t.type) {
      case 'string':
        return { ...base, kind: 'text' };
      case 'number':
      case 'integer':
        return { ...base, kind: 'number', integer: t.type === 'integer', ...(s.minimum !== undefined ? { minimum: s.minimum } : {}), ...(s.maximum !== undefined ? { maximum: s.maximum } : {}) };
      case 'boolean':
        return { ...base, kind: 'checkbox' };
      case 'array': {
        const item = s.items && singleType(s.items);
        if (item && (item.type === 'string' || item.type === 'number' || item.type === 'integer') && !item.schema.properties) return { ...base, kind: 'list', itemType: item.type };
        return { ...base, kind: 'json' };
      }
      case 'object':
        return s.properties ? { ...base, kind: 'object', fields: fieldsFor(s, `${base.path}.`) } : { ...base, kind: 'json' };
      default:
        return { ...base, kind: 'json' };
    }
  });
}

export interface ArgumentsResult {
  args: Record<string, unknown>;
  /** Input the form cannot turn into the schema's type, by path (the server checks the rest). */
  errors: Record<string, string>;
}

/**
 * The tool arguments for the form's values. Empty inputs are left out, so optional arguments
 * are not sent and a sub-form nobody filled in is omitted; the server validates what is sent.
 */
export function toArguments(fields: Field[], values: FormValues): ArgumentsResult {
  const errors: Record<string, string> = {};
  const build = (fs: Field[], vs: FormValues): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const f of fs) {
      const raw = vs[f.name];
      if (f.kind === 'object') {
        const nested = build(f.fields, raw && typeof raw === 'object' ? raw : {});
        if (Object.keys(nested).length > 0) out[f.name] = nested;
        continue;
      }
      if (f.kind === 'checkbox') {
        if (typeof raw === 'boolean') out[f.name] = raw;
        continue;
      }
      const text = typeof raw === 'string' ? raw.trim() : '';
      if (text === '') continue;
      switch (f.kind) {
        case 'text':
        case 'select':
          out[f.name] = text;
          break;
        case 'number': {
          const n = Number(text);
          if (!Number.isFinite(n)) errors[f.path] = `${f.path} must be a number`;
          else if (f.integer && !Number.isInteger(n)) errors[f.path] = `${f.path} must be a whole number`;
          else out[f.name] = n;
          break;
        }
        case 'list': {
          const items = text
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          if (f.itemType === 'string') out[f.name] = items;
          else {
            const numbers = items.map(Number);
            if (numbers.some((n) => !Number.isFinite(n) || (f.itemType === 'integer' && !Number.isInteger(n)))) errors[f.path] = `${f.path} must be a comma-separated list of ${f.itemType === 'integer' ? 'whole numbers' : 'numbers'}`;
            else out[f.name] = numbers;
          }
          break;
        }
        case 'json':
          try {
            out[f.name] = JSON.parse(text);
          } catch {
            errors[f.path] = `${f.path} must be JSON`;
          }
          break;
      }
    }
    return out;
  };
  const args = build(fields, values);
  return { args, errors };
}

/** The form values that produce these arguments (to switch from the JSON editor back to the form). */
export function toValues(fields: Field[], args: Record<string, unknown>): FormValues {
  const out: FormValues = {};
  for (const f of fields) {
    const v = args[f.name];
    if (v === undefined || v === null) continue;
    if (f.kind === 'object') out[f.name] = v && typeof v === 'object' ? toValues(f.fields, v as Record<string, unknown>) : undefined;
    else if (f.kind === 'checkbox') out[f.name] = typeof v === 'boolean' ? v : undefined;
    else if (f.kind === 'list') out[f.name] = Array.isArray(v) ? v.join(', ') : String(v);
    else if (f.kind === 'json') out[f.name] = JSON.stringify(v);
    else out[f.name] = String(v);
  }
  return out;
}
