import type {
  AppServer,
  ScalingPolicy,
  ServerGroup,
  SessionInfo,
} from '../../lib/huawei/schemas.ts';

// Factories return plain objects that pass the API response schemas of
// lib/huawei/schemas.ts; overrides replace fields shallowly (`omit` drops
// one, since exactOptionalPropertyTypes forbids passing `undefined`). Ids come from per-kind counters so objects
// built in one test are distinct; `resetFactorySequences()` restarts them.

/** The group id servers and sessions point at unless told otherwise. */
export const DEFAULT_GROUP_ID = 'sg-0001';

/** A fixed instant for defaults (2024-01-01T00:00:00.000Z), epoch ms. */
export const FACTORY_EPOCH = Date.UTC(2024, 0, 1);

const sequences = { group: 0, server: 0, session: 0 };

/** Restarts the id counters (call in `beforeEach` when a test asserts on ids). */
export function resetFactorySequences(): void {
  sequences.group = 0;
  sequences.server = 0;
  sequences.session = 0;
}

function pad(n: number): string {
  return String(n).padStart(4, '0');
}

/**
 * A copy of `value` without `keys`: the way to build an object with an
 * optional field absent. Typed as `T` because the API types are loose objects
 * (an index signature defeats `Omit`); drop only optional fields.
 */
export function omit<T extends object>(value: T, ...keys: (keyof T & string)[]): T {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
}

/** A UUID-shaped id whose last group is `n` (deterministic, not random). */
export function uuidFor(prefix: number, n: number): string {
  const tail = n.toString(16).padStart(12, '0');
  return `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${tail}`;
}

/** An ISO 8601 timestamp with milliseconds, as the APIs send it. */
export function isoAt(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** A valid, enabled session-based scaling policy (threshold 80 %, shrink after 30 min). */
export function scalingPolicyFactory(overrides: Partial<ScalingPolicy> = {}): ScalingPolicy {
  return {
    enable: true,
    max_scaling_amount: 10,
    single_expansion_count: 2,
    scaling_policy_by_session: {
      session_usage_threshold: 80,
      shrink_after_session_idle_minutes: 30,
    },
    ...overrides,
  };
}

/**
 * An enabled server group with a valid scaling policy and a product taking 2
 * sessions per server. The first one has id DEFAULT_GROUP_ID.
 */
export function serverGroupFactory(overrides: Partial<ServerGroup> = {}): ServerGroup {
  const n = ++sequences.group;
  return {
    id: n === 1 ? DEFAULT_GROUP_ID : `sg-${pad(n)}`,
    name: `group-${pad(n)}`,
    app_type: 'SESSION_DESKTOP_APP',
    os_type: 'Windows',
    create_time: isoAt(FACTORY_EPOCH),
    update_time: isoAt(FACTORY_EPOCH),
    server_group_status: true,
    app_server_count: 0,
    product_info: { product_id: 'workspace.appstream.general.xlarge.2', sessions: 2 },
    scaling_policy: scalingPolicyFactory(),
    tags: [],
    ...overrides,
  };
}

/**
 * An in-service member of DEFAULT_GROUP_ID (REGISTERED, ACTIVE, not in
 * maintenance) with no sessions, no job, no freeze and no tags, created at
 * FACTORY_EPOCH.
 */
export function serverFactory(overrides: Partial<AppServer> = {}): AppServer {
  const n = ++sequences.server;
  return {
    id: uuidFor(0xa95, n),
    name: `server-${pad(n)}`,
    machine_name: `APS-${pad(n)}`,
    server_group_id: DEFAULT_GROUP_ID,
    instance_id: uuidFor(0xec5, n),
    status: 'REGISTERED',
    vm_status: 'ACTIVE',
    task_status: 'null',
    session_count: 0,
    maintain_status: false,
    scaling_auto_create: false,
    create_time: isoAt(FACTORY_EPOCH),
    update_time: isoAt(FACTORY_EPOCH),
    job_status: 'SUCCESS',
    freeze: [],
    metadata: { charging_mode: '0' },
    tags: [],
    ...overrides,
  };
}

/**
 * A signed-out session of DEFAULT_GROUP_ID on machine `APS-0001`, started at
 * FACTORY_EPOCH and ended an hour later.
 */
export function sessionFactory(overrides: Partial<SessionInfo> = {}): SessionInfo {
  const n = ++sequences.session;
  return {
    id: `session-${pad(n)}`,
    machine_name: 'APS-0001',
    app_server_group_id: DEFAULT_GROUP_ID,
    session_state: 'SignedOut',
    start_time: isoAt(FACTORY_EPOCH),
    end_time: isoAt(FACTORY_EPOCH + 3_600_000),
    last_update_status_time: isoAt(FACTORY_EPOCH + 3_600_000),
    login_user: `user${pad(n)}`,
    vm_ip: '192.168.0.10',
    ...overrides,
  };
}
