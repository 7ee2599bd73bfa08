import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { parseResponse } from '../../../lib/huawei/response-parser.ts';
import {
  AppServerSchema,
  BatchDeleteResponseSchema,
  JobSchema,
  ListAppServersResponseSchema,
  ListEcsServerGroupsResponseSchema,
  ListServerGroupsResponseSchema,
  ListSessionsResponseSchema,
  ShowEcsServerGroupResponseSchema,
} from '../../../lib/huawei/schemas.ts';
import { formatIssues } from '../../../lib/validation.ts';

// The client validates through zod's compiled fast path (lib/huawei/response-parser.ts):
// whatever the input, it must answer exactly as the schema's own parser does —
// the same data (extra fields kept, no key added or dropped) or the same issues.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8'));

const CASES: readonly (readonly [string, z.ZodType])[] = [
  ['seed-list-server-groups.json', ListServerGroupsResponseSchema],
  ['aps-list-server-groups-scaling.json', ListServerGroupsResponseSchema],
  ['aps-list-app-servers.json', ListAppServersResponseSchema],
  ['aps-show-server.json', AppServerSchema],
  ['aps-list-sessions.json', ListSessionsResponseSchema],
  ['aps-batch-delete.json', BatchDeleteResponseSchema],
  ['aps-job-v2.json', JobSchema],
  ['ecs-list-server-groups.json', ListEcsServerGroupsResponseSchema],
  ['ecs-show-server-group.json', ShowEcsServerGroupResponseSchema],
];

const ODD: Json[] = ['RECOVERING', '', 'null', 42, -1, 1.5, null, true, [], [1, 'a'], {}, { x: 1 }];

/**
 * The document with unknown keys added at any level and, unless `onlyAdd`,
 * values swapped for odd ones (wrong types included) and keys dropped.
 */
function mutate(doc: Json, seed: number, rate: number, onlyAdd = false): Json {
  let a = seed >>> 0;
  const random = () => {
    a = (Math.imul(a ^ (a >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return a / 4_294_967_296;
  };
  const odd = () => ODD[Math.floor(random() * ODD.length)] as Json;
  // `parent` is the key holding `node`: a `metadata` map takes only strings.
  const walk = (node: Json, parent?: string): Json => {
    if (!onlyAdd && random() < rate) return odd();
    if (Array.isArray(node)) return node.map((item) => walk(item, parent));
    if (node === null || typeof node !== 'object') return node;
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(node)) {
      if (!onlyAdd && random() < rate) continue;
      out[key] = walk(value, key);
    }
    if (random() < rate) out['future_field'] = parent === 'metadata' && onlyAdd ? 'x' : odd();
    return out;
  };
  return walk(doc);
}

function expectSameAnswer(schema: z.ZodType, input: unknown): boolean {
  const runtime = schema.safeParse(input);
  const compiled = parseResponse(schema, input);
  expect(compiled.success).toBe(runtime.success);
  if (runtime.success) expect(compiled.data).toStrictEqual(runtime.data);
  else expect(compiled.error?.issues).toStrictEqual(runtime.error.issues);
  return runtime.success;
}

describe('parseResponse', () => {
  it.each(CASES)('answers %s exactly as the schema does', (file, schema) => {
    const doc = fixture(file);
    expect(expectSameAnswer(schema, doc)).toBe(true);
    let rejected = 0;
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom(0.02, 0.1, 0.3), (seed, rate) => {
        if (!expectSameAnswer(schema, mutate(doc, seed, rate))) rejected += 1;
      }),
      { numRuns: 300 },
    );
    // Both ways are exercised: some mutations fit the schema, others do not.
    expect(rejected).toBeGreaterThan(0);
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        expect(expectSameAnswer(schema, mutate(doc, seed, 0.3, true))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps unknown fields and unknown enum values', () => {
    const input = {
      count: 1,
      items: [{ id: 's-1', status: 'RECOVERING', brand_new: { nested: [1] } }],
      next: 'x',
    };
    const result = parseResponse(ListAppServersResponseSchema, input);
    expect(result.success && result.data).toStrictEqual(input);
  });

  it('rejects a wrong type and names its path', () => {
    const result = parseResponse(ListAppServersResponseSchema, {
      count: 1,
      items: [{ id: 's-1', host_address: [{ addr: '10.0.0.1', version: '4' }] }],
    });
    expect(result.success).toBe(false);
    expect(formatIssues(result.error?.issues ?? [])).toMatch(
      /^items\[0\]\.host_address\[0\]\.version: .*number/,
    );
  });
});
