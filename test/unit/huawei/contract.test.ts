import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AppServerSchema,
  JobResponseSchema,
  JobSchema,
  ListAppServersResponseSchema,
  ListEcsServerGroupsResponseSchema,
  ListServerGroupsResponseSchema,
  ListSessionsResponseSchema,
  ServerStatusSchema,
  SessionStateSchema,
  ShowEcsServerGroupResponseSchema,
  VmStatusSchema,
} from '../../../lib/huawei/schemas.ts';
import { evaluateGroup } from '../../../lib/scaling/evaluate.ts';
import type { EvaluationLimits } from '../../../lib/scaling/types.ts';
import { formatIssues } from '../../../lib/validation.ts';
import {
  FACTORY_EPOCH,
  isoAt,
  serverFactory,
  serverGroupFactory,
  sessionFactory,
} from '../../helpers/factories.ts';

// Contract tests: every endpoint's response shape from the official SDK
// models parses (test/fixtures/README.md says where each fixture comes from),
// and stays parseable when the cloud sends values or fields we do not know.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const fixture = (name: string): Json =>
  JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8'));

interface Contract {
  file: string;
  schema: { safeParse(input: unknown): { success: boolean; error?: unknown } };
  /** Keys that may not be dropped here (the schema requires them). */
  required: readonly string[];
}

const CONTRACTS: readonly Contract[] = [
  { file: 'seed-list-server-groups.json', schema: ListServerGroupsResponseSchema, required: [] },
  {
    file: 'aps-list-server-groups-scaling.json',
    schema: ListServerGroupsResponseSchema,
    required: [],
  },
  { file: 'aps-list-app-servers.json', schema: ListAppServersResponseSchema, required: [] },
  { file: 'aps-show-server.json', schema: AppServerSchema, required: [] },
  { file: 'aps-list-sessions.json', schema: ListSessionsResponseSchema, required: [] },
  { file: 'aps-batch-delete.json', schema: JobResponseSchema, required: [] },
  { file: 'aps-job-v2.json', schema: JobSchema, required: ['status'] },
  {
    file: 'ecs-list-server-groups.json',
    schema: ListEcsServerGroupsResponseSchema,
    required: ['server_groups'],
  },
  {
    file: 'ecs-show-server-group.json',
    schema: ShowEcsServerGroupResponseSchema,
    required: ['server_group'],
  },
];

// Required everywhere they appear: the list envelope, ids, ECS members, tag keys.
const ALWAYS_REQUIRED = new Set(['count', 'items', 'id', 'members', 'key']);

// Every field the SDK models as a string with documented values.
const ENUM_FIELDS = new Set([
  'status',
  'vm_status',
  'task_status',
  'job_status',
  'job_type',
  'session_state',
  'os_type',
  'app_type',
  'system_disk_type',
  'storage_mount_policy',
  'site_type',
  'extra_session_type',
  'type',
  'architecture',
  'charge_mode',
  'package_type',
  'scene',
  'charging_mode',
]);

/** A small deterministic generator, so fast-check's seed reproduces a failure. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ODD_STRINGS = ['RECOVERING', '', 'null', 'NULL', 'ünïcödé-状态', 'x'.repeat(300), ' ACTIVE '];

interface Mutation {
  seed: number;
  drop: number;
  rename: number;
  extra: number;
}

/** The document with enum values replaced, optional keys dropped and unknown keys added. */
function mutate(doc: Json, required: ReadonlySet<string>, m: Mutation): Json {
  const random = prng(m.seed);
  const oddString = () =>
    random() < 0.5
      ? (ODD_STRINGS[Math.floor(random() * ODD_STRINGS.length)] as string)
      : Math.floor(random() * 1e9).toString(36);
  // `parent` is the key holding `node`: a `metadata` map takes only strings (SDK map[string]string).
  const walk = (node: Json, parent?: string): Json => {
    if (Array.isArray(node)) return node.map((item) => walk(item, parent));
    if (node === null || typeof node !== 'object') return node;
    const out: { [key: string]: Json } = {};
    for (const [key, value] of Object.entries(node)) {
      if (!required.has(key) && random() < m.drop) continue;
      if (ENUM_FIELDS.has(key) && typeof value === 'string' && random() < m.rename) {
        out[key] = oddString();
      } else {
        out[key] = walk(value, key);
      }
    }
    if (random() < m.extra) {
      const extras: Json[] = [oddString(), 42, null, true, [1, 'a'], { nested: { deep: [] } }];
      out[`future_${oddString()}`] =
        parent === 'metadata'
          ? oddString()
          : (extras[Math.floor(random() * extras.length)] as Json);
    }
    return out;
  };
  return walk(doc);
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  seed: fc.integer(),
  drop: fc.double({ min: 0, max: 1, noNaN: true }),
  rename: fc.double({ min: 0, max: 1, noNaN: true }),
  extra: fc.double({ min: 0, max: 1, noNaN: true }),
});

describe('the SDK-shaped example responses', () => {
  it.each(CONTRACTS.map((c) => [c.file, c] as const))('%s parses', (_file, contract) => {
    const result = contract.schema.safeParse(fixture(contract.file));
    expect(result.success, JSON.stringify(result.error)).toBe(true);
  });

  it('keeps the fields the sweep reads', () => {
    const servers = ListAppServersResponseSchema.parse(fixture('aps-list-app-servers.json'));
    const [a, b] = servers.items;
    expect(a?.sid).toBe('S-1-5-21-1213649063-4191095369-2401105760-1399');
    expect(a?.metadata?.['charging_mode']).toBe('0');
    expect(a?.host_address?.[0]?.addr).toBe('172.16.0.21');
    expect(b?.task_status).toBe('upgrading_access_agent');
    expect(b?.freeze).toEqual([{ effect: 2, scene: 'ARREAR' }, { scene: 'POLICE' }]);
    const sessions = ListSessionsResponseSchema.parse(fixture('aps-list-sessions.json'));
    expect(sessions.items.map((s) => [s.machine_sid, s.vm_ip])).toEqual([
      ['S-1-5-21-1213649063-4191095369-2401105760-1402', '172.16.0.22'],
      ['S-1-5-21-1213649063-4191095369-2401105760-1399', '172.16.0.21'],
      [undefined, '172.16.0.21'],
    ]);
    const groups = ListServerGroupsResponseSchema.parse(
      fixture('aps-list-server-groups-scaling.json'),
    );
    const [primary, standby] = groups.items;
    expect(primary?.scaling_policy?.scaling_policy_by_resource?.cpu_usage_threshold).toBe(85);
    expect([primary?.is_vdi, primary?.extra_session_type, primary?.extra_session_size]).toEqual([
      false,
      'CPU',
      2,
    ]);
    expect(standby?.primary_server_group_ids).toEqual([primary?.id]);
    const ecs = ListEcsServerGroupsResponseSchema.parse(fixture('ecs-list-server-groups.json'));
    expect(ecs.page_info?.next_marker).toBe('1b2c3d4e-5f60-4718-8a9b-0c1d2e3f4a5b');
    expect(JobSchema.parse(fixture('aps-job-v2.json')).sub_jobs?.[1]?.status).toBe('FAILED');
  });

  it.each([
    ['aps-list-app-servers.json', ['items', 0, 'sid'], 5, /^items\[0\]\.sid: /],
    ['aps-list-app-servers.json', ['items', 0, 'task_status'], 1, /^items\[0\]\.task_status: /],
    [
      'aps-list-app-servers.json',
      ['items', 0, 'host_address', 0, 'version'],
      '4',
      /^items\[0\]\.host_address\[0\]\.version: /,
    ],
    ['aps-list-sessions.json', ['items', 1, 'machine_sid'], [], /^items\[1\]\.machine_sid: /],
    [
      'aps-list-server-groups-scaling.json',
      ['items', 0, 'scaling_policy', 'scaling_policy_by_resource', 'cpu_usage_threshold'],
      'high',
      /^items\[0\]\.scaling_policy\.scaling_policy_by_resource\.cpu_usage_threshold: /,
    ],
    ['aps-list-server-groups-scaling.json', ['items', 1, 'is_vdi'], 'yes', /^items\[1\]\.is_vdi: /],
    ['ecs-list-server-groups.json', ['page_info', 'next_marker'], 5, /^page_info\.next_marker: /],
    ['ecs-list-server-groups.json', ['server_groups', 1, 'members'], 'x', /members: /],
    ['aps-job-v2.json', ['status'], 3, /^status: /],
  ] as const)(
    '%s: a wrong type at %j is rejected naming the path',
    (file, path, value, expected) => {
      const doc = fixture(file) as { [key: string]: Json };
      let node: Json = doc;
      for (const step of path.slice(0, -1)) node = (node as { [k: string]: Json })[step] as Json;
      (node as { [k: string]: Json })[path[path.length - 1] as string] = value as Json;
      const schema = CONTRACTS.find((c) => c.file === file)?.schema;
      const result = schema?.safeParse(doc) as { success: boolean; error?: { issues: never[] } };
      expect(result.success).toBe(false);
      expect(formatIssues(result.error?.issues ?? [])).toMatch(expected);
    },
  );
});

describe('a real-shaped page with unknown values, fewer fields and new fields', () => {
  it.each(CONTRACTS.map((c) => [c.file, c] as const))('%s still parses', (_file, contract) => {
    const doc = fixture(contract.file);
    const required = new Set([...ALWAYS_REQUIRED, ...contract.required]);
    fc.assert(
      fc.property(mutation, (m) => {
        const result = contract.schema.safeParse(mutate(doc, required, m));
        expect(result.success, JSON.stringify(result.error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('unknown enum values never make a server idle', () => {
  const NOW = FACTORY_EPOCH + 30 * 86_400_000;
  const LIMITS: EvaluationLimits = {
    minServersPerGroup: 0,
    maxRemovalsPerGroup: 100,
    protectTagKey: 'aps-autoscaler:protect',
  };
  const unknownOf = (known: readonly string[]) =>
    fc.string({ minLength: 0, maxLength: 20 }).filter((s) => !known.includes(s));

  it('holds for status, vm_status and session_state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('status', 'vm_status', 'session_state'),
        unknownOf([
          ...ServerStatusSchema.options,
          ...VmStatusSchema.options,
          ...SessionStateSchema.options,
        ]),
        (field, value) => {
          const group = serverGroupFactory({ id: 'sg-contract', product_info: { sessions: 4 } });
          const servers = [0, 1, 2].map((i) =>
            serverFactory({
              id: `srv-${i}`,
              machine_name: `APS-${i}`,
              server_group_id: group.id,
              create_time: isoAt(FACTORY_EPOCH),
            }),
          );
          const target = servers[1] as (typeof servers)[number];
          const sessions = [];
          if (field === 'session_state') {
            sessions.push(
              sessionFactory({
                machine_name: target.machine_name,
                app_server_group_id: group.id,
                session_state: value,
              }),
            );
          } else {
            target[field] = value;
          }
          const decision = evaluateGroup({ group, servers, sessions, now: NOW, limits: LIMITS });
          const verdict = decision.members.find((v) => v.serverId === target.id);
          expect(verdict?.action).toBe('keep');
          expect(verdict?.reason.kind).not.toBe('idle');
          // The others are idle and removable: the property is not vacuous.
          expect(decision.members.filter((v) => v.action === 'remove').length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
