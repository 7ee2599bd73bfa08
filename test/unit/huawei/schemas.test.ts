import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AppServerSchema,
  isKnown,
  ListServerGroupsResponseSchema,
  openEnum,
  SessionInfoSchema,
  ShowEcsServerGroupResponseSchema,
  TaskStatusSchema,
} from '../../../lib/huawei/schemas.ts';
import { formatIssues } from '../../../lib/validation.ts';

// The published example response, verbatim, kept in test/fixtures so the
// suite depends on nothing outside the repository.
const SEED_URL = new URL('../../fixtures/seed-list-server-groups.json', import.meta.url);
const seed = (): Record<string, unknown> & { items: Record<string, unknown>[] } =>
  JSON.parse(readFileSync(SEED_URL, 'utf8'));

function issuesOf(input: unknown): string {
  const result = ListServerGroupsResponseSchema.safeParse(input);
  if (result.success) throw new Error('expected the input to be rejected');
  return formatIssues(result.error.issues);
}

describe('ListServerGroupsResponseSchema', () => {
  it('parses the published example and keeps every value unchanged', () => {
    const input = seed();
    const parsed = ListServerGroupsResponseSchema.parse(input);
    expect(parsed).toEqual(input);
    expect(parsed.items[0]?.product_info?.system_disk_size).toBe('80');
    expect(parsed.items[0]?.system_disk_size).toBe(60);
  });

  it('accepts unknown extra fields at every level', () => {
    const input = seed();
    const item = input.items[0] as Record<string, unknown>;
    input['page_token'] = 'x';
    item['brand_new_field'] = { nested: [1, 2] };
    (item['product_info'] as Record<string, unknown>)['gpu_vendor'] = 'none';
    item['scaling_policy'] = {
      enable: true,
      max_scaling_amount: 5,
      single_expansion_count: 1,
      scaling_policy_by_session: {
        session_usage_threshold: 80,
        shrink_after_session_idle_minutes: 30,
        mode: 'x',
      },
      future: true,
    };
    expect(ListServerGroupsResponseSchema.parse(input)).toEqual(input);
  });

  it.each([
    [
      'a wrong type',
      (item: Record<string, unknown>) => {
        item['scaling_policy'] = { enable: 'yes' };
      },
      /^items\[0\]\.scaling_policy\.enable: .*boolean/,
    ],
    [
      'an enum field that is not a string',
      (item: Record<string, unknown>) => {
        item['os_type'] = 3;
      },
      /^items\[0\]\.os_type: .*string/,
    ],
    [
      'a missing id',
      (item: Record<string, unknown>) => {
        delete item['id'];
      },
      /^items\[0\]\.id: /,
    ],
    [
      'a number where the product info has a string',
      (item: Record<string, unknown>) => {
        (item['product_info'] as Record<string, unknown>)['system_disk_size'] = 80;
      },
      /^items\[0\]\.product_info\.system_disk_size: /,
    ],
  ])('rejects %s and names the path', (_name, breakIt, expected) => {
    const input = seed();
    breakIt(input.items[0] as Record<string, unknown>);
    expect(issuesOf(input)).toMatch(expected);
  });

  it('rejects a count that is not an integer', () => {
    expect(issuesOf({ count: '1', items: [] })).toMatch(/^count: /);
  });
});

describe('other API shapes', () => {
  it('accepts an app server with nulls where the API sends them', () => {
    const server = {
      id: 'srv-1',
      machine_name: 'APS-PR6KRMAL00',
      status: 'REGISTERED',
      vm_status: null,
      task_status: 'null',
      session_count: 0,
      job_status: null,
      freeze: [{ effect: 2, scene: 'x' }],
      metadata: { charging_mode: '0' },
      unknown: 1,
    };
    expect(AppServerSchema.parse(server)).toEqual(server);
  });

  it('rejects a negative session count and a freeze effect that is not an integer', () => {
    const result = AppServerSchema.safeParse({
      id: 's',
      session_count: -1,
      freeze: [{ effect: '2' }],
    });
    expect(result.success).toBe(false);
    const text = result.success ? '' : formatIssues(result.error.issues);
    expect(text).toMatch(/session_count: /);
    expect(text).toMatch(/freeze\[0\]\.effect: /);
  });

  it('accepts a freeze effect the SDK does not document (the evaluator keeps the server)', () => {
    expect(AppServerSchema.parse({ id: 's', freeze: [{ effect: 4 }] }).freeze).toEqual([
      { effect: 4 },
    ]);
  });

  it('accepts a running session with a null end time and an unknown state as a string', () => {
    expect(
      SessionInfoSchema.parse({ id: 'a', session_state: 'Active', end_time: null }).end_time,
    ).toBeNull();
    expect(SessionInfoSchema.parse({ id: 'a', session_state: 'Idle' }).session_state).toBe('Idle');
    expect(SessionInfoSchema.safeParse({ id: 'a', session_state: 7 }).success).toBe(false);
  });

  it('requires the members of an ECS server group', () => {
    expect(ShowEcsServerGroupResponseSchema.safeParse({ server_group: { id: 'g' } }).success).toBe(
      false,
    );
  });
});

describe('openEnum and isKnown', () => {
  it('parses any string, rejects other types and tells known values apart', () => {
    const schema = openEnum(TaskStatusSchema.options);
    expect(schema.parse('RECOVERING')).toBe('RECOVERING');
    expect(schema.safeParse(1).success).toBe(false);
    expect(isKnown(TaskStatusSchema, 'deleting')).toBe(true);
    expect(isKnown(TaskStatusSchema, 'RECOVERING')).toBe(false);
    expect(isKnown(TaskStatusSchema, undefined)).toBe(false);
  });
});
