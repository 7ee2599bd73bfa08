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

function unsupported(what: string): never {
  throw new UnsupportedSchemaError(`no fast path for ${what}`);
}

const literal = (n: number | undefined): string => {
  if (n === undefined || !Number.isFinite(n)) unsupported(`a bound ${n}`);
  return String(n);
};

function lengthTest(def: Def): string {
  const tests: string[] = [];
  for (const { _zod } of def.checks ?? []) {
    const c = _zod.def;
    if (c.check === 'min_length') tests.push(`v.length >= ${literal(c.minimum)}`);
    else if (c.check === 'max_length') tests.push(`v.length <= ${literal(c.maximum)}`);
    else if (c.check === 'length_equals') tests.push(`v.length === ${literal(c.length)}`);
    else unsupported(`${def.type} check ${c.check}`);
  }
  return tests.map((t) => ` && ${t}`).join('');
}

function numberTest(def: Def): string {
  const tests = ['Number.isFinite(v)'];
  for (const { _zod } of def.checks ?? []) {
    const c = _zod.def;
    if (c.check === 'number_format' && c.format === 'safeint')
      tests.push('Number.isSafeInteger(v)');
    else if (c.check === 'greater_than')
      tests.push(`v ${c.inclusive ? '>=' : '>'} ${literal(c.value)}`);
    else if (c.check === 'less_than')
      tests.push(`v ${c.inclusive ? '<=' : '<'} ${literal(c.value)}`);
    else unsupported(`number check ${c.check}${c.format ? ` ${c.format}` : ''}`);
  }
  return tests.join(' && ');
}

const NOT_RECORD =
  "typeof v !== 'object' || v === null || Array.isArray(v) || Object.hasOwn(v, '__proto__')";

/**
 * Generates one small function per schema node, so every property read and
 * every call site sees one shape and one callee (V8 inlines them), as zod's
 * own object fast path does. Keys come from the schemas, never from input.
 */
class Generator {
  readonly functions: string[] = [];
  readonly constants: unknown[] = [];

  private constant(value: unknown): string {
    this.constants.push(value);
    return `C[${this.constants.length - 1}]`;
  }

  private define(body: string): string {
    const name = `f${this.functions.length}`;
    this.functions.push(`function ${name}(v) { ${body} }`);
    return name;
  }

  emit(schema: Schema): string {
    const def = schema._zod.def;
    const checks = def.checks?.length ?? 0;
    switch (def.type) {
      case 'string':
        return this.define(`return typeof v === 'string'${lengthTest(def)} ? v : FAIL;`);
      case 'number':
        return this.define(`return typeof v === 'number' && ${numberTest(def)} ? v : FAIL;`);
      case 'boolean':
        if (checks > 0) unsupported('boolean checks');
        return this.define("return typeof v === 'boolean' ? v : FAIL;");
      case 'unknown':
        return this.define('return v;');
      case 'enum':
        return this.define(
          `return ${this.constant(new Set(Object.values(def.entries ?? {})))}.has(v) ? v : FAIL;`,
        );
      case 'literal':
        return this.define(`return ${this.constant(new Set(def.values ?? []))}.has(v) ? v : FAIL;`);
      case 'optional':
        return this.define(
          `return v === undefined ? undefined : ${this.emit(def.innerType as Schema)}(v);`,
        );
      case 'nullable':
        return this.define(`return v === null ? null : ${this.emit(def.innerType as Schema)}(v);`);
      case 'default': {
        const fallback = def.defaultValue;
        if (typeof fallback === 'object' && fallback !== null) unsupported('an object default');
        const inner = this.emit(def.innerType as Schema);
        return this.define(`return v === undefined ? ${this.constant(fallback)} : ${inner}(v);`);
      }
      case 'array': {
        if (checks > 0) unsupported('array checks');
        const element = this.emit(def.element as Schema);
        return this.define(
          `if (!Array.isArray(v)) return FAIL;
           for (let i = 0; i < v.length; i += 1) { const r = ${element}(v[i]); if (r === FAIL) return FAIL; v[i] = r; }
           return v;`,
        );
      }
      case 'record': {
        const keyDef = def.keyType?._zod.def;
        if (keyDef?.type !== 'string' || (keyDef.checks?.length ?? 0) > 0)
          unsupported('a record key');
        const value = this.emit(def.valueType as Schema);
        return this.define(
          `if (${NOT_RECORD}) return FAIL;
           for (const k of Object.keys(v)) { const r = ${value}(v[k]); if (r === FAIL) return FAIL; v[k] = r; }
           return v;`,
        );
      }
      case 'object':
        if (checks > 0) unsupported('object checks');
        return this.object(def);
      default:
        return unsupported(def.type);
    }
  }

  private object(def: Def): string {
    const loose = def.catchall !== undefined;
    if (loose && def.catchall?._zod.def.type !== 'unknown')
      unsupported('a catchall other than unknown');
    // Loose: the object itself, unknown keys kept; otherwise a copy of the known keys.
    const lines = [
      `if (${NOT_RECORD}) return FAIL;`,
      `const out = ${loose ? 'v' : '{}'};`,
      'let x, r;',
    ];
    for (const [key, schema] of Object.entries(def.shape ?? {})) {
      const k = JSON.stringify(key);
      const check = this.emit(schema);
      // A key Object.prototype also has must be read as an own property only.
      const read =
        key in Object.prototype ? `Object.hasOwn(v, ${k}) ? v[${k}] : undefined` : `v[${k}]`;
      const skip = schema._zod.optin === 'optional' ? 'if (x !== undefined) {' : '{';
      const store = loose
        ? `if (r !== x) out[${k}] = r;`
        : `if (r !== undefined || Object.hasOwn(v, ${k})) out[${k}] = r;`;
      lines.push(`x = ${read}; ${skip} r = ${check}(x); if (r === FAIL) return FAIL; ${store} }`);
    }
    lines.push('return out;');
    return this.define(lines.join('\n'));
  }
}

/**
 * The checker of `schema`, which must be made only of object (loose or
 * stripping), string, number, boolean, unknown, enum, literal, array,
 * record (string keys), optional, nullable and default, with length and
 * numeric-range checks; throws UnsupportedSchemaError otherwise.
 */
export function compile(schema: z.ZodType | Schema): Checker {
  const generator = new Generator();
  const root = generator.emit(schema as Schema);
  const source = `${generator.functions.join('\n')}\nreturn ${root};`;
  return new Function('FAIL', 'C', source)(FAIL, generator.constants) as Checker;
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
