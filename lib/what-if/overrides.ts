import { AutoscalerError } from '../errors.ts';
import type { ServerGroup } from '../huawei/schemas.ts';
import type { EvaluationLimits } from '../scaling/types.ts';

/**
 * A what-if override set: policy values and limits to re-evaluate the same
 * fetched data with. Written `shrink=15,threshold=70,min=2`.
 */
export interface WhatIfOverrides {
  /** Replaces every group's `shrink_after_session_idle_minutes` (API range 5–120). */
  shrinkMinutes?: number;
  /** Replaces every group's `session_usage_threshold` (API range 1–100). */
  thresholdPercent?: number;
  /** MIN_SERVERS_PER_GROUP. */
  minServersPerGroup?: number;
  /** MAX_REMOVALS_PER_GROUP. */
  maxRemovalsPerGroup?: number;
  /** MAX_REMOVALS_PER_SWEEP: above it the whole set is aborted, as a sweep would be. */
  maxRemovalsPerSweep?: number;
}

/** One named override set; `label` is the text it was parsed from. */
export interface WhatIfSet {
  label: string;
  overrides: WhatIfOverrides;
}

/** A what-if text that does not parse; the message names the key. */
export class WhatIfSyntaxError extends AutoscalerError {
  override readonly name: string = 'WhatIfSyntaxError';
}

interface KeySpec {
  field: keyof WhatIfOverrides;
  min: number;
  max: number;
  meaning: string;
}

// The one list of keys: the parser, its error text and the README table read it.
export const WHAT_IF_KEYS: Readonly<Record<string, KeySpec>> = {
  shrink: {
    field: 'shrinkMinutes',
    min: 5,
    max: 120,
    meaning: 'shrink_after_session_idle_minutes of every group with a policy',
  },
  threshold: {
    field: 'thresholdPercent',
    min: 1,
    max: 100,
    meaning: 'session_usage_threshold of every group with a policy',
  },
  min: { field: 'minServersPerGroup', min: 0, max: 10_000, meaning: 'MIN_SERVERS_PER_GROUP' },
  maxPerGroup: {
    field: 'maxRemovalsPerGroup',
    min: 0,
    max: 10_000,
    meaning: 'MAX_REMOVALS_PER_GROUP',
  },
  maxPerSweep: {
    field: 'maxRemovalsPerSweep',
    min: 0,
    max: 1_000_000,
    meaning: 'MAX_REMOVALS_PER_SWEEP',
  },
};

/**
 * Parses one override set, `key=value` pairs separated by commas
 * (`shrink=15,threshold=70,min=2`); keys are those of WHAT_IF_KEYS, values
 * whole numbers in the key's range. Throws WhatIfSyntaxError naming the key
 * (an unknown key, a repeated key, a value that is not a whole number or out
 * of range, an empty set).
 */
export function parseWhatIf(text: string): WhatIfSet {
  const label = text.trim();
  if (label === '')
    throw new WhatIfSyntaxError('what-if: empty set; expected e.g. shrink=15,min=2');
  const overrides: WhatIfOverrides = {};
  for (const pair of label.split(',')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const raw = eq < 0 ? '' : pair.slice(eq + 1).trim();
    const spec = Object.hasOwn(WHAT_IF_KEYS, key) ? WHAT_IF_KEYS[key] : undefined;
    if (spec === undefined) {
      const known = Object.keys(WHAT_IF_KEYS).join(', ');
      throw new WhatIfSyntaxError(`what-if: unknown key ${JSON.stringify(key)}; known: ${known}`);
    }
    if (overrides[spec.field] !== undefined) {
      throw new WhatIfSyntaxError(`what-if: ${key} is given twice`);
    }
    if (!/^\d+$/.test(raw)) {
      throw new WhatIfSyntaxError(
        `what-if: ${key} must be a whole number (${spec.min}–${spec.max}), got ${JSON.stringify(raw)}`,
      );
    }
    const value = Number(raw);
    if (value < spec.min || value > spec.max) {
      throw new WhatIfSyntaxError(
        `what-if: ${key} must be ${spec.min}–${spec.max} (${spec.meaning}), got ${value}`,
      );
    }
    overrides[spec.field] = value;
  }
  return { label, overrides };
}

/** The group with its session policy values replaced; groups without a session policy stay as they are. */
export function withPolicy(group: ServerGroup, overrides: WhatIfOverrides): ServerGroup {
  const { shrinkMinutes, thresholdPercent } = overrides;
  if (shrinkMinutes === undefined && thresholdPercent === undefined) return group;
  const policy = group.scaling_policy;
  const bySession = policy?.scaling_policy_by_session;
  if (policy == null || bySession == null || typeof bySession !== 'object') return group;
  return {
    ...group,
    scaling_policy: {
      ...policy,
      scaling_policy_by_session: {
        ...bySession,
        ...(shrinkMinutes === undefined
          ? {}
          : { shrink_after_session_idle_minutes: shrinkMinutes }),
        ...(thresholdPercent === undefined ? {} : { session_usage_threshold: thresholdPercent }),
      },
    },
  };
}

/** The baseline limits with a set's floor and per-group cap in place of theirs. */
export function limitsOf(base: EvaluationLimits, overrides: WhatIfOverrides): EvaluationLimits {
  return {
    ...base,
    minServersPerGroup: overrides.minServersPerGroup ?? base.minServersPerGroup,
    maxRemovalsPerGroup: overrides.maxRemovalsPerGroup ?? base.maxRemovalsPerGroup,
  };
}
