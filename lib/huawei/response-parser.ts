import * as z from 'zod';

// Response bodies are validated with zod's ahead-of-time compiler
// (`z.compile`, zod ≥ 4.6): a generated fast path that builds the same
// output as the schema's own parser and hands any input it would not accept
// to that parser, so a rejection carries exactly the runtime's issues (the
// path named); docs/performance.md, "Client CPU". A schema the compiler
// cannot model is returned unchanged and keeps the runtime parser.

const compiled = new WeakMap<z.ZodType, z.ZodType>();

/**
 * `schema.safeParse(input)` through the schema's compiled form, made on the
 * first call with that schema object and kept for the next ones: pass
 * module-level schemas, not ones built per request (each new object is
 * compiled again, a millisecond or more).
 */
export function parseResponse<S extends z.ZodType>(
  schema: S,
  input: unknown,
): z.ZodSafeParseResult<z.infer<S>> {
  let fast = compiled.get(schema);
  if (fast === undefined) {
    fast = z.compile(schema);
    compiled.set(schema, fast);
  }
  return fast.safeParse(input) as z.ZodSafeParseResult<z.infer<S>>;
}
