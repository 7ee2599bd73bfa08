import type { DeployedSettings } from './deployed-sweep.ts';
import { describeDeployed } from './deployed-sweep.ts';
import type { LargestFleetResult } from './largest-fleet.ts';
import { type BenchLine, fmt, line, seconds } from './lines.ts';

/**
 * The line a user feels: the largest fleet the inline sweep settles inside
 * its deployed timeout on the function's CPU share (bench/lib/largest-fleet.ts),
 * and the first size that did not, where SWEEP_MODE=fanout takes over. The
 * target is the fleet the sweep lines measure (1,000 groups): below it the
 * inline default would not carry its own bench.
 */
export function largestFleetLine(
  r: LargestFleetResult,
  settings: DeployedSettings,
  minimumGroups: number,
): BenchLine {
  const tried = r.steps
    .map(
      (s) =>
        `${fmt(s.groups)}: ${s.settled ? 'settled' : `not settled (${s.status}, ${fmt(s.notVisited)} groups not visited, ${s.errors} errors, ${fmt(s.outOfTime)} removals out of time)`} in ${seconds(s.wallMs)}, ${fmt(s.removed)} removed, ${fmt(s.requests)} requests, client CPU ${seconds(s.clientCpuMs)}`,
    )
    .join('; ');
  const largest = r.largest ?? 0;
  const beyond =
    r.firstUnsettled === undefined
      ? 'every size tried settled: the limit lies above the largest'
      : `fanout (SWEEP_MODE=fanout) takes over at ${fmt(r.firstUnsettled)} groups`;
  return line({
    name: `largest fleet an inline sweep settles inside its ${r.timeoutSeconds} s timeout on the function's CPU share (${settings.cpuShare} core)`,
    inputs: `groups × ${r.serversPerGroup} servers (seed 42), sizes tried in increasing order until one does not settle, each a fresh simulator, ${r.latencyMs} ms added per request, MAX_CONCURRENCY 16, acting (DRY_RUN false, MAX_REMOVALS_PER_SWEEP 1,000,000: every idle server removed, the heaviest sweep), drain on with the deployed DRAIN_SECONDS=${r.drainSeconds}; ${describeDeployed(settings)} (DRAIN_SECONDS overridden to ${r.drainSeconds}); ${r.quota ?? 'CPU quota'}; the invocation's remaining time = serverless.yml's sweep timeout; settled = status completed, no error, every group visited, no planned removal out of time (skipped-deadline); nothing extrapolated`,
    value: largest,
    unit: 'groups',
    shown: `${fmt(largest)} groups × ${r.serversPerGroup} (${beyond}; ${tried})`,
    target: { op: '>=', value: minimumGroups, unit: 'groups' },
    details: { ...r },
  });
}
