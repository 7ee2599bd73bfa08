import type * as z from 'zod';

// A fast path for the response schemas: each zod schema is compiled once into
// a checker that validates a freshly parsed JSON value in place (no copy of
// every object, as zod's own parse makes) and returns it, or FAIL. It only
// ever says yes where zod says yes, with zod's output: anything it does not
// model exactly is refused at compile time (UnsupportedSchemaError, and zod
// alone is used), and any value it does not accept goes to zod, which then
// decides and words the error. test/unit/huawei/compiled-schema.test.ts checks
// both against each other on random documents near every response schema.

export const FAIL: unique symbol = Symbol('fail');
export type Checker = (value: unknown) => unknown;

export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
}

/** The parts of zod 4's internal definitions read here. */
interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  innerType?: Schema;
  defaultValue?: unknown;
  element?: Schema;
  keyType?: Schema;
  valueType?: Schema;
  shape?: Record<string, Schema>;
  catchall?: Schema;
  entries?: Record<string, string | number>;
  values?: unknown[];
}
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  length?: number;
  format?: string;
  value?: number;
  inclusive?: boolean;
}
interface Schema {
  _zod: { def: Def; optin?: string };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__');

function unsupported(what: string): never {
  throw new UnsupportedSchemaError(`no fast path for ${what}`);
}

function lengthChecks(def: Def): (n: number) => boolean {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const { _zod } of def.checks ?? []) {
    const c = _zod.def;
    if (c.check === 'min_length') min = Math.max(min, c.minimum ?? 0);
    else if (c.check === 'max_length') max = Math.min(max, c.maximum ?? max);
    else if (c.check === 'length_equals') {
      min = Math.max(min, c.length ?? 0);
      max = Math.min(max, c.length ?? max);
    } else unsupported(`${def.type} check ${c.check}`);
  }
  return (n) => n >= min && n <= max;
}

function numberChecks(def: Def): (n: number) => boolean {
  const tests: ((n: number) => boolean)[] = [Number.isFinite];
  for (const { _zod } of def.checks ?? []) {
    const c = _zod.def;
    const v = c.value ?? 0;
    if (c.check === 'number_format' && c.format === 'safeint') tests.push(Number.isSafeInteger);
    else if (c.check === 'greater_than') tests.push(c.inclusive ? (n) => n >= v : (n) => n > v);
    else if (c.check === 'less_than') tests.push(c.inclusive ? (n) => n <= v : (n) => n < v);
    else unsupported(`number check ${c.check}${c.format ? ` ${c.format}` : ''}`);
  }
  return (n) => tests.every((t) => t(n));
}

function compileObject(def: Def): Checker {
  const loose = def.catchall !== undefined;
  if (loose && def.catchall?._zod.def.type !== 'unknown')
    unsupported('a catchall other than unknown');
  const fields = Object.entries(def.shape ?? {}).map(([key, schema]) => ({
    key,
    check: compile(schema),
    optional: schema._zod.optin === 'optional',
  }));
  return (value) => {
    if (!isRecord(value)) return FAIL;
    // Loose: the object itself, unknown keys kept; strict shape: a copy of the known keys.
    const out: Record<string, unknown> = loose ? value : {};
    for (const { key, check, optional } of fields) {
      const has = Object.hasOwn(value, key);
      const input = has ? value[key] : undefined;
      if (input === undefined && optional) continue;
      const result = check(input);
      if (result === FAIL) return FAIL;
      if (result !== undefined || has) out[key] = result;
    }
    return out;
  };
}

function compileRecord(def: Def): Checker {
  const keyDef = def.keyType?._zod.def;
  if (keyDef?.type !== 'string' || (keyDef.checks?.length ?? 0) > 0) unsupported('a record key');
  const check = compile(def.valueType as Schema);
  return (value) => {
    if (!isRecord(value)) return FAIL;
    for (const key of Object.keys(value)) {
      const result = check(value[key]);
      if (result === FAIL) return FAIL;
      value[key] = result;
    }
    return value;
  };
}

/**
 * The checker of `schema`, which must be made only of object (loose or
 * stripping), string, number, boolean, unknown, enum, literal, array,
 * record (string keys), optional, nullable and default, with length and
 * numeric-range checks; throws UnsupportedSchemaError otherwise.
 */
export function compile(schema: z.ZodType | Schema): Checker {
  const def = (schema as Schema)._zod.def;
  switch (def.type) {
    case 'string': {
      const ok = lengthChecks(def);
      return (v) => (typeof v === 'string' && ok(v.length) ? v : FAIL);
    }
    case 'number': {
      const ok = numberChecks(def);
      return (v) => (typeof v === 'number' && ok(v) ? v : FAIL);
    }
    case 'boolean':
      if ((def.checks?.length ?? 0) > 0) unsupported('boolean checks');
      return (v) => (typeof v === 'boolean' ? v : FAIL);
    case 'unknown':
      return (v) => v;
    case 'enum': {
      const allowed = new Set(Object.values(def.entries ?? {}));
      return (v) => (allowed.has(v as string) ? v : FAIL);
    }
    case 'literal': {
      const allowed = new Set(def.values ?? []);
      return (v) => (allowed.has(v) ? v : FAIL);
    }
    case 'optional': {
      const inner = compile(def.innerType as Schema);
      return (v) => (v === undefined ? undefined : inner(v));
    }
    case 'nullable': {
      const inner = compile(def.innerType as Schema);
      return (v) => (v === null ? null : inner(v));
    }
    case 'default': {
      const inner = compile(def.innerType as Schema);
      const fallback = def.defaultValue;
      if (typeof fallback === 'object' && fallback !== null) unsupported('an object default');
      return (v) => (v === undefined ? fallback : inner(v));
    }
    case 'array': {
      if ((def.checks?.length ?? 0) > 0) unsupported('array checks');
      const element = compile(def.element as Schema);
      return (v) => {
        if (!Array.isArray(v)) return FAIL;
        for (let i = 0; i < v.length; i += 1) {
          const result = element(v[i]);
          if (result === FAIL) return FAIL;
          v[i] = result;
        }
        return v;
      };
    }
    case 'record':
      return compileRecord(def);
    case 'object':
      if ((def.checks?.length ?? 0) > 0) unsupported('object checks');
      return compileObject(def);
    default:
      return unsupported(def.type);
  }
}

const cache = new WeakMap<object, Checker | null>();

/** The compiled checker of `schema`, made once; `null` when zod alone must be used. */
export function checkerFor(schema: z.ZodType): Checker | null {
  let checker = cache.get(schema);
  if (checker === undefined) {
    try {
      checker = compile(schema);
    } catch (error) {
      if (!(error instanceof UnsupportedSchemaError)) throw error;
      checker = null;
    }
    cache.set(schema, checker);
  }
  return checker;
}
