import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  checkerFor,
  compile,
  FAIL,
  UnsupportedSchemaError,
} from '../../../lib/huawei/compiled-schema.ts';
import * as schemas from '../../../lib/huawei/schemas.ts';

/** The schemas lib/huawei/aps-client.ts and ecs-client.ts check answers with: all must compile. */
const ON_THE_WIRE: [string, z.ZodType][] = [
  ['ListServerGroupsResponse', schemas.ListServerGroupsResponseSchema],
  ['ServerGroup', schemas.ServerGroupSchema],
  ['ListAppServersResponse', schemas.ListAppServersResponseSchema],
  ['AppServer', schemas.AppServerSchema],
  ['ListSessionsResponse', schemas.ListSessionsResponseSchema],
  ['JobResponse (optional)', schemas.JobResponseSchema.optional()],
  ['Job', schemas.JobSchema],
  ['BatchMaintResponse', schemas.BatchMaintResponseSchema],
  ['ListEcsServerGroupsResponse', schemas.ListEcsServerGroupsResponseSchema],
  ['ShowEcsServerGroupResponse', schemas.ShowEcsServerGroupResponseSchema],
  ['EcsActionResponse', schemas.EcsActionResponseSchema],
];

interface Def {
  type: string;
  checks?: {
    _zod: {
      def: { check: string; minimum?: number; maximum?: number; value?: number; format?: string };
    };
  }[];
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  entries?: Record<string, string>;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def; optin?: string } })._zod;

/** Any JSON value, the kind of thing a wrong field may hold. */
const stray = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1.5, '', 'x', 2 ** 60, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

/**
 * Documents near `schema`: valid ones most of the time, with now and then a
 * field of the wrong type, a required field missing, a string of the wrong
 * length or a number out of range, and unknown keys.
 */
function near(schema: z.ZodType, depth = 0, strays = 1): fc.Arbitrary<unknown> {
  const { def } = defOf(schema);
  const valid = ((): fc.Arbitrary<unknown> => {
    switch (def.type) {
      case 'string': {
        let min = 0;
        let max = 12;
        for (const c of def.checks ?? []) {
          if (c._zod.def.check === 'min_length') min = c._zod.def.minimum ?? 0;
          if (c._zod.def.check === 'max_length')
            max = Math.min(max + 200, c._zod.def.maximum ?? max);
        }
        return fc.oneof(
          {
            weight: 9,
            arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, min + 12) }),
          },
          { weight: strays, arbitrary: fc.constantFrom('', 'x'.repeat(max + 1)) },
        );
      }
      case 'number':
        return fc.oneof(
          { weight: 9, arbitrary: fc.integer({ min: 0, max: 1_000 }) },
          { weight: strays, arbitrary: fc.constantFrom(-1, 0.5, -0.5, 2 ** 53, 1e300) },
        );
      case 'boolean':
        return fc.boolean();
      case 'unknown':
        return stray;
      case 'enum':
        return fc.constantFrom(...Object.values(def.entries ?? {}), 'UNKNOWN');
      case 'optional':
        return fc.option(near(def.innerType as z.ZodType, depth, strays), {
          nil: undefined,
          freq: 4,
        });
      case 'nullable':
        return fc.option(near(def.innerType as z.ZodType, depth, strays), { nil: null, freq: 4 });
      case 'default':
        return fc.option(near(def.innerType as z.ZodType, depth, strays), {
          nil: undefined,
          freq: 4,
        });
      case 'array':
        return fc.array(near(def.element as z.ZodType, depth + 1, strays), {
          maxLength: depth > 1 ? 1 : 3,
        });
      case 'record':
        return fc.dictionary(
          fc.string({ maxLength: 4 }),
          near(def.valueType as z.ZodType, depth + 1, strays),
          {
            maxKeys: 3,
          },
        );
      case 'object': {
        const shape = def.shape ?? {};
        const arbs: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, s] of Object.entries(shape)) arbs[key] = near(s, depth + 1, strays);
        const required = Object.keys(shape).filter(
          (k) => defOf(shape[k] as z.ZodType).optin !== 'optional',
        );
        return fc
          .tuple(
            fc.oneof(
              { weight: 9, arbitrary: fc.record(arbs, { requiredKeys: required }) },
              { weight: strays, arbitrary: fc.record(arbs, { requiredKeys: [] }) },
            ),
            fc.dictionary(fc.constantFrom('extra', 'new_field', 'id', 'name'), stray, {
              maxKeys: 2,
            }),
          )
          .map(([known, extra]) => ({ ...extra, ...known }));
      }
      default:
        return stray;
    }
  })();
  return fc.oneof({ weight: 15, arbitrary: valid }, { weight: strays, arbitrary: stray });
}

/** Half documents with no fault planted, half with faults anywhere. */
const documents = (schema: z.ZodType) => fc.oneof(near(schema, 0, 0), near(schema, 0, 1));

const without = (value: unknown) => JSON.parse(JSON.stringify(value ?? null)) as unknown;

describe('compiled response schemas', () => {
  it.each(ON_THE_WIRE)('%s compiles to a fast path', (_name, schema) => {
    expect(checkerFor(schema)).not.toBeNull();
  });

  it.each(ON_THE_WIRE)(
    '%s: the fast path accepts only what zod accepts, with zod’s output, on 1,500 documents',
    (_name, schema) => {
      const check = compile(schema);
      let accepted = 0;
      let refused = 0;
      fc.assert(
        fc.property(documents(schema), (doc) => {
          const input = doc === undefined ? undefined : without(doc);
          const expected = schema.safeParse(input === undefined ? undefined : without(input));
          const got = check(input);
          if (got === FAIL) {
            // Refusing is always safe (zod then decides); here it must also be right.
            expect(expected.success).toBe(false);
            refused += 1;
          } else {
            expect(expected.success).toBe(true);
            expect(got).toStrictEqual(expected.data);
            accepted += 1;
          }
        }),
        { seed: 2026, numRuns: 1_500 },
      );
      // Both sides of the property were exercised.
      expect(accepted).toBeGreaterThan(100);
      if (!['EcsActionResponse', 'BatchMaintResponse'].includes(_name))
        expect(refused).toBeGreaterThan(30);
    },
  );

  it('refuses to compile what it does not model exactly, so zod alone checks it', () => {
    for (const schema of [
      z.union([z.string(), z.number()]),
      z.string().regex(/a/),
      z.string().transform((s) => s.length),
      z.strictObject({ a: z.string() }),
      z.array(z.string()).min(1),
      z.object({ a: z.string().default('x').pipe(z.string()) }),
    ]) {
      expect(() => compile(schema)).toThrow(UnsupportedSchemaError);
      expect(checkerFor(schema)).toBeNull();
    }
  });

  it('checks in place: a valid loose object comes back as the same object, defaults filled', () => {
    const doc = { id: 'g-1', extra: { deep: [1] } } as Record<string, unknown>;
    const out = compile(schemas.ServerGroupSchema)(doc);
    expect(out).toBe(doc);
    expect(doc['name']).toBe('');
    expect(compile(z.object({ a: z.string() }))({ a: 'x', b: 1 })).toEqual({ a: 'x' });
  });
});
