import { describe, expect, it } from 'vitest';
import type { DeployedSettings } from '../../../bench/lib/deployed-sweep.ts';
import {
  type LargestFleetResult,
  type LargestFleetStep,
  settledInside,
} from '../../../bench/lib/largest-fleet.ts';
import { largestFleetLine } from '../../../bench/lib/largest-fleet-lines.ts';
import {
  deployedDrainSeconds,
  sweepTimeoutSeconds,
} from '../../../bench/lib/serverless-settings.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';

describe('the deployed settings the largest-fleet line runs with', () => {
  it("reads the sweep's timeout and the default drain period from serverless.yml", () => {
    const yaml =
      "custom:\n  sweepTimeoutSeconds: 900\nparams:\n  default:\n    drainSeconds: '300'\n";
    expect(sweepTimeoutSeconds(yaml)).toBe(900);
    expect(deployedDrainSeconds(yaml)).toBe(300);
    expect(sweepTimeoutSeconds()).toBeGreaterThan(0);
    expect(deployedDrainSeconds()).toBeGreaterThan(0);
  });

  it('names the file and the setting when one is missing', () => {
    expect(() => sweepTimeoutSeconds('custom:\n  other: 1\n')).toThrow(
      /serverless\.yml: no integer sweepTimeoutSeconds/,
    );
  });
});

const SETTINGS: DeployedSettings = {
  memoryMb: 512,
  heap: { memoryMb: 512, flags: [] },
  cpuShare: 0.289,
  drainSeconds: 10,
  removalMode: 'remove-member',
  nodeOptions: '--enable-source-maps',
};

const step = (groups: number, settled: boolean): LargestFleetStep => ({
  groups,
  settled,
  wallMs: 1_000,
  status: settled ? 'completed' : 'partial',
  errors: 0,
  notVisited: settled ? 0 : 12,
  removed: 1,
  outOfTime: 0,
  requests: 10,
  clientCpuMs: 100,
});

const result = (steps: LargestFleetStep[]): LargestFleetResult => ({
  serversPerGroup: 20,
  timeoutSeconds: 600,
  drainSeconds: 120,
  latencyMs: 20,
  quota: 'cgroup v2 cpu.max 28900 100000',
  steps,
  largest: Math.max(0, ...steps.filter((s) => s.settled).map((s) => s.groups)) || undefined,
  firstUnsettled: steps.find((s) => !s.settled)?.groups,
});

describe('largestFleetLine', () => {
  it('is the largest size that settled and says where fanout takes over', () => {
    const l = largestFleetLine(
      result([step(2_000, true), step(4_000, true), step(6_000, false)]),
      SETTINGS,
      1_000,
    );
    expect(l.value).toBe(4_000);
    expect(l.met).toBe(true);
    expect(l.shown).toContain('fanout (SWEEP_MODE=fanout) takes over at 6,000 groups');
    expect(l.name).toContain('600 s timeout');
  });

  it('is missed with 0 when not even the smallest size settled', () => {
    const l = largestFleetLine(result([step(2_000, false)]), SETTINGS, 1_000);
    expect(l.value).toBe(0);
    expect(l.met).toBe(false);
  });
});

describe('settledInside', () => {
  const outcomes = (outOfTime: number) =>
    ({ removed: 5, 'skipped-deadline': outOfTime }) as SweepReport['totals']['outcomes'];
  const report = (
    over: Partial<Pick<SweepReport, 'status' | 'notVisitedCount'>>,
    outOfTime = 0,
  ) => ({
    status: 'completed' as const,
    errors: [],
    notVisitedCount: 0,
    totals: { outcomes: outcomes(outOfTime) } as SweepReport['totals'],
    ...over,
  });

  it('is a completed sweep of every group, every removal settled, inside the timeout', () => {
    expect(settledInside(report({}), 599_000, 600)).toBe(true);
    expect(settledInside(report({}), 601_000, 600)).toBe(false);
    expect(settledInside(report({ notVisitedCount: 1 }), 1_000, 600)).toBe(false);
  });

  it('is not a sweep that evaluated everything but had no time left to drain', () => {
    expect(settledInside(report({}, 3), 590_000, 600)).toBe(false);
  });
});
