import type { Decision, MemberReason } from '../scaling/types.ts';

/** How each member verdict is named and coloured on the page; typed so every kind has one. */
export const VERDICT_STYLES: Readonly<
  Record<MemberReason['kind'], { label: string; color: string }>
> = {
  idle: { label: 'idle, chosen for removal', color: '#d62728' },
  floor: { label: 'idle, kept for the floor', color: '#ff9896' },
  'group-cap': { label: 'idle, kept by the group cap', color: '#ffbb78' },
  'anti-flap': { label: 'idle, kept by anti-flap', color: '#f7b6d2' },
  'unmatched-session': { label: 'idle, held by an unmatched session', color: '#c49c94' },
  cooldown: { label: 'idle, held by the scale-out cooldown', color: '#dbdb8d' },
  held: { label: 'held until a time', color: '#9edae5' },
  'recently-created': { label: 'recently created', color: '#98df8a' },
  busy: { label: 'busy', color: '#1f77b4' },
  'active-session': { label: 'active session', color: '#aec7e8' },
  'recently-used': { label: 'recently used', color: '#2ca02c' },
  'not-in-service': { label: 'not in service', color: '#7f7f7f' },
  'job-running': { label: 'job running', color: '#9467bd' },
  'task-running': { label: 'task running', color: '#c5b0d5' },
  'freeze-protected': { label: 'frozen', color: '#8c564b' },
  protected: { label: 'protected', color: '#17becf' },
  'unknown-activity': { label: 'unknown activity', color: '#bcbd22' },
  'group-skipped': { label: 'group skipped', color: '#c7c7c7' },
};

/** Every verdict kind, in the order bars and legends show them. */
export const VERDICT_KINDS = Object.keys(VERDICT_STYLES) as MemberReason['kind'][];

/** Every decision kind, in the order filters and totals show them. */
export const DECISION_KINDS: readonly Decision['kind'][] = Object.keys({
  'scale-in': 0,
  'scale-out': 0,
  steady: 0,
  skip: 0,
} satisfies Record<Decision['kind'], 0>) as Decision['kind'][];

/** A verdict kind as it may appear in a report read back from JSON. */
export function isVerdictKind(kind: string): kind is MemberReason['kind'] {
  return Object.hasOwn(VERDICT_STYLES, kind);
}

/** A decision kind as it may appear in a report read back from JSON. */
export function isDecisionKind(kind: string): kind is Decision['kind'] {
  return (DECISION_KINDS as readonly string[]).includes(kind);
}

/** A verdict kind's words on the page and in tables; an unknown kind (a report read from JSON) as it is. */
export function verdictLabel(kind: string): string {
  return isVerdictKind(kind) ? VERDICT_STYLES[kind].label : kind;
}
