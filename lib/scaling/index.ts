export { describeReason, evaluateGroup, evaluateRemoval } from './evaluate.ts';
export {
  assessMember,
  hasTag,
  indexSessionsByMachine,
  isInService,
  isSessionQueryFailure,
  parseApiTime,
  sessionsOfMachine,
} from './idle.ts';
export { countPlannedRemovals, planRemovals, planSweep } from './plan.ts';
export type {
  AssessedReason,
  BusySessionState,
  Decision,
  DecisionBase,
  EvaluateGroupInput,
  EvaluationLimits,
  HeldReason,
  InServiceField,
  MemberReason,
  MemberVerdict,
  Removal,
  RemovalVerdict,
  ScaleInDecision,
  ScaleOutDecision,
  SessionQueryFailure,
  SkipDecision,
  SkipReason,
  SteadyDecision,
  SweepPlan,
} from './types.ts';
