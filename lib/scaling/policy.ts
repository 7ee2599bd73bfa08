import type { ServerGroup } from '../huawei/schemas.ts';
import type { ResourceThresholds, SkipReason, UnparsedTag } from './types.ts';

/** The scaling policy once checked; every number is an integer in its range. */
export interface EffectivePolicy {
  /** Percent; undefined = no scale-out and no anti-flap bound. */
  threshold: number | undefined;
  shrinkMinutes: number;
  singleExpansion: number;
  /** Undefined = no total cap on the recommendation. */
  maxScaling: number | undefined;
  /** `scaling_policy_by_resource`, when present: shown in the report, not acted on. */
  resource: ResourceThresholds | undefined;
}

// Policy ranges as docs/huawei-api.md ("List server groups") records them.
const SHRINK_MINUTES = { min: 5, max: 120 } as const;
const RESOURCE_FIELDS = [
  ['cpu_usage_threshold', 'cpuPercent'],
  ['mem_usage_threshold', 'memPercent'],
  ['gpu_usage_threshold', 'gpuPercent'],
] as const;

/** Reads `scaling_policy_by_resource`: each threshold optional, 1–100 (percent). */
function checkResource(byResource: unknown, problems: string[]): ResourceThresholds | undefined {
  if (byResource === undefined || byResource === null) return undefined;
  const path = 'scaling_policy.scaling_policy_by_resource';
  if (!isObject(byResource)) {
    problems.push(`${path}: must be an object`);
    return undefined;
  }
  const thresholds: ResourceThresholds = {};
  for (const [field, key] of RESOURCE_FIELDS) {
    const value = byResource[field];
    if (value === undefined) continue;
    if (isIntIn(value, 1, 100)) thresholds[key] = value;
    else problems.push(`${path}.${field}: must be 1–100`);
  }
  return thresholds;
}

/** Either why the group is skipped, or the policy to evaluate it with. */
export type Gate =
  | { skip: SkipReason; detail: string; unparsed?: UnparsedTag }
  | { policy: EffectivePolicy };

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIntIn(value: unknown, min: number, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min && (value as number) <= max;
}

/**
 * Checks a group's scaling policy field by field: the policy to evaluate
 * with, or why the group is skipped (`policy-disabled`, `invalid-policy`
 * naming every bad field).
 */
// Absent means `undefined`; a present value outside its range (null, a
// string, a fraction) is invalid: the edge schemas would have rejected it, so
// it can only come from a caller that bypassed them.
export function checkPolicy(group: ServerGroup): Gate {
  const policy: unknown = group.scaling_policy;
  if (policy === undefined || policy === null) {
    return { skip: 'policy-disabled', detail: 'no scaling_policy' };
  }
  if (!isObject(policy)) {
    return { skip: 'invalid-policy', detail: 'scaling_policy: must be an object' };
  }
  if (policy['enable'] === false) {
    return { skip: 'policy-disabled', detail: 'scaling_policy.enable is false' };
  }
  const bySession = policy['scaling_policy_by_session'];
  if (bySession === undefined || bySession === null) {
    const detail = 'no scaling_policy.scaling_policy_by_session';
    return { skip: 'policy-disabled', detail };
  }

  const problems: string[] = [];
  const enable = policy['enable'];
  if (enable !== undefined && enable !== true) {
    problems.push('scaling_policy.enable: must be a boolean');
  }
  const maxScaling = policy['max_scaling_amount'];
  if (maxScaling !== undefined && !isIntIn(maxScaling, 1, 100)) {
    problems.push('scaling_policy.max_scaling_amount: must be 1–100');
  }
  const single = policy['single_expansion_count'];
  if (single !== undefined && !isIntIn(single, 1, 10)) {
    problems.push('scaling_policy.single_expansion_count: must be 1–10');
  }
  let threshold: unknown;
  let shrink: unknown;
  if (!isObject(bySession)) {
    problems.push('scaling_policy.scaling_policy_by_session: must be an object');
  } else {
    threshold = bySession['session_usage_threshold'];
    if (threshold !== undefined && !isIntIn(threshold, 1, 100)) {
      problems.push(
        'scaling_policy.scaling_policy_by_session.session_usage_threshold: must be 1–100',
      );
    }
    shrink = bySession['shrink_after_session_idle_minutes'];
    const field = 'scaling_policy.scaling_policy_by_session.shrink_after_session_idle_minutes';
    const { min, max } = SHRINK_MINUTES;
    if (shrink === undefined) problems.push(`${field}: required to scale in`);
    else if (!isIntIn(shrink, min, max)) problems.push(`${field}: must be ${min}–${max}`);
  }
  const resource = checkResource(policy['scaling_policy_by_resource'], problems);
  if (problems.length > 0) {
    return { skip: 'invalid-policy', detail: problems.join('; ') };
  }
  return {
    policy: {
      threshold: threshold as number | undefined,
      shrinkMinutes: shrink as number,
      singleExpansion: (single as number | undefined) ?? 1,
      maxScaling: maxScaling as number | undefined,
      resource,
    },
  };
}

/**
 * Sessions one server takes (docs/huawei-api.md, "Capacity of one server"):
 * 1 when `is_vdi` is true (single-session mode); otherwise
 * `product_info.sessions`, at least 1. `extra_session_size` /
 * `extra_session_type` (paid sessions) are deliberately not added: how they
 * change a server's capacity is undocumented, and leaving them out is the
 * reading that makes usage higher, so fewer servers are removed.
 */
export function sessionsPerServer(group: ServerGroup): number {
  if (group.is_vdi === true) return 1;
  const sessions: unknown = isObject(group.product_info)
    ? group.product_info['sessions']
    : undefined;
  return typeof sessions === 'number' && Number.isFinite(sessions) && sessions >= 1
    ? Math.floor(sessions)
    : 1;
}
