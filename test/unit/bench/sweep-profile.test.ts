import { describe, expect, it } from 'vitest';
import {
  type CpuProfile,
  firstSampleUnder,
  frameCategory,
  sliceProfile,
  summariseProfile,
} from '../../../bench/lib/cpu-profile-summary.ts';
import { sweepPhases } from '../../../bench/lib/sweep-phases.ts';
import type { CallLogEntry } from '../../../sim/server.ts';

function call(route: string, atMs: number, durationMs = 20): CallLogEntry {
  return {
    seq: 0,
    method: 'GET',
    path: '/',
    query: '',
    route: route as CallLogEntry['route'],
    status: 200,
    routeStatus: 200,
    removed: [],
    latencyMs: 20,
    durationMs,
    signatureOk: true,
    fault: null,
    requestId: 'r',
    time: new Date(atMs).toISOString(),
  };
}

describe('sweepPhases', () => {
  it('splits a drained sweep at its first batch-maint and at the first call after the drain', () => {
    const calls = [
      call('listServerGroups', 1_000),
      call('listAppServers', 1_500),
      call('batchMaint', 3_000),
      call('batchMaint', 3_100),
      call('listServerGroups', 13_200),
      call('getAppServer', 13_300),
      call('ecsAction', 14_000),
      call('batchMaint', 15_000),
    ];
    const p = sweepPhases(calls, 15_000);
    expect(p).toMatchObject({
      evaluatePhaseMs: 2_000,
      drainPhaseMs: 10_200,
      actPhaseMs: 1_800,
      outsideMs: 1_000,
    });
    // Four calls of 20 ms over the 1.8 s from the act's first call to the last.
    expect(p.actMeanInFlight).toBeCloseTo(80 / 1_800, 2);
  });

  it('starts the act at the first re-read when nothing drains', () => {
    const calls = [call('listServerGroups', 0), call('getAppServer', 500), call('ecsAction', 900)];
    expect(sweepPhases(calls, 900)).toMatchObject({
      evaluatePhaseMs: 500,
      drainPhaseMs: 0,
      actPhaseMs: 400,
    });
  });
});

describe('frameCategory', () => {
  it.each([
    ['node_modules/@aws-lambda-powertools/logger/lib/cjs/Logger.js', 'logging (Powertools)'],
    ['lib/logger.ts', 'logging (Powertools)'],
    ['lib/metrics.ts', 'metrics'],
    ['node_modules/@smithy/core/dist-cjs/index.js', 'AWS SDK / DynamoDB'],
    ['lib/huawei/http.ts', 'our client'],
    ['lib/huawei/request-signer.ts', 'signing'],
    ['lib/sweep/sweep.ts', 'ours: sweep, lifecycle, report'],
    ['bench/lib/memory-child.ts', 'other'],
  ])('files %s under %s', (url, category) => {
    expect(frameCategory(url, 'f')).toBe(category);
  });
});

describe('summariseProfile', () => {
  it('charges JSON and native frames to their nearest owning caller', () => {
    const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
      id,
      callFrame: { functionName, url, lineNumber: 0 },
      children,
    });
    const profile: CpuProfile = {
      nodes: [
        frame(1, '(root)', '', [2, 4]),
        frame(2, 'info', 'node_modules/@aws-lambda-powertools/logger/Logger.js', [3]),
        frame(3, 'stringify', ''),
        frame(4, 'interpret', 'lib/huawei/http.ts', [5]),
        frame(5, 'parse', ''),
      ],
      samples: [3, 3, 5],
      timeDeltas: [1000, 1000, 1000],
    };
    const s = summariseProfile(profile);
    expect(firstSampleUnder(profile, 'interpret')).toBe(2);
    expect(firstSampleUnder(profile, 'nowhere')).toBe(-1);
    expect(summariseProfile(sliceProfile(profile, 2, 3)).owners).toEqual([
      { category: 'our client', ms: 1, share: 1 },
    ]);
    expect(s.categories).toEqual([{ category: 'JSON', ms: 3, share: 1 }]);
    expect(s.owners).toEqual([
      { category: 'logging (Powertools)', ms: 2, share: 2 / 3 },
      { category: 'our client', ms: 1, share: 1 / 3 },
    ]);
  });
});
