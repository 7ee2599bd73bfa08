import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildLikeServerless, scratchDir, serverlessEsbuild } from '../../../bench/lib/bundle.ts';
import { lambdaHeap, sweepMemoryMb } from '../../../bench/lib/lambda-heap.ts';
import type { MemoryRun } from '../../../bench/lib/memory.ts';
import { PEAK_STEP_MB, phaseOf, phaseTracker } from '../../../bench/lib/memory-breakdown.ts';
import {
  attribution,
  floorMb,
  memoryLines,
  partsText,
  phasesText,
} from '../../../bench/lib/memory-lines.ts';
import { deployedNodeOptions } from '../../../bench/lib/serverless-settings.ts';

describe('lambdaHeap', () => {
  it('gives node the heap flags the Lambda runtime starts a function of that memory with', () => {
    expect(lambdaHeap(512).flags).toEqual([
      '--expose-gc',
      '--max-semi-space-size=25',
      '--max-old-space-size=461',
    ]);
    expect(lambdaHeap(1769).flags).toEqual([
      '--expose-gc',
      '--max-semi-space-size=88',
      '--max-old-space-size=1593',
    ]);
  });

  it('names the young generation those flags let V8 grow to: two semi-spaces, each a power of two', () => {
    expect(lambdaHeap(512).youngMb).toBe(64);
    expect(lambdaHeap(1769).youngMb).toBe(256);
    expect(lambdaHeap(640).youngMb).toBe(64);
  });
});

describe('sweepMemoryMb', () => {
  it("reads the provider's memorySize from serverless.yml", () => {
    expect(sweepMemoryMb('provider:\n  name: aws\n  memorySize: 1024\n')).toBe(1024);
    expect(sweepMemoryMb()).toBeGreaterThanOrEqual(128);
  });

  it('refuses a file where a function sets its own', () => {
    const yaml = 'provider:\n  memorySize: 512\nfunctions:\n  sweep:\n    memorySize: 2048\n';
    expect(() => sweepMemoryMb(yaml)).toThrow(/expected one memorySize/);
  });
});

const run = (groups: number, peakMb: number, oldMb: number): MemoryRun => {
  const breakdown = (rssMb: number, heapTotalMb: number) => ({
    atMs: 30_000,
    rssMb,
    heapUsedMb: heapTotalMb / 2,
    heapTotalMb,
    externalMb: 2,
    arrayBuffersMb: 0.1,
    spacesMb: { new_space: 64, old_space: oldMb, large_object_space: 1 },
  });
  return {
    sweepPeakMb: peakMb,
    peakMb,
    sampledPeakMb: peakMb,
    atPeak: breakdown(peakMb, 64 + oldMb + 1),
    atStart: { ...breakdown(49, 11), spacesMb: { new_space: 1, old_space: 9 } },
    retained: { endMb: 17 },
    gc: { majors: 10, minors: 200, pauseMs: 2_000 },
    startMb: 49,
    reportBytes: 2_000_000,
    groups,
    removed: groups * 4,
    drained: groups * 4,
    actedGroups: groups / 2,
    requests: groups * 10,
    status: 'completed',
    errors: 0,
    notVisited: 0,
    durationMs: 60_000,
    cpuMs: 20_000,
    retries: 0,
    throttled: 0,
    fleet: `${groups}x20`,
    simLoadSeconds: 1,
    lambda: lambdaHeap(512),
    nodeOptions: '--enable-source-maps',
  };
};

describe('memoryLines', () => {
  it('says what the peak is made of and with which heap flags it ran', () => {
    const small = run(1_000, 140, 20);
    const large = run(10_000, 200, 74);
    expect(attribution(large)).toContain(
      'V8 heap 139 MB reserved (young generation 64, old 74, large objects 1)',
    );
    expect(attribution(large)).toContain('61 MB outside the heap');
    expect(floorMb(large)).toBe(49 - 1 + 64);
    expect(attribution(large)).toContain('floor 112 MB with these flags');
    const withFiles = { ...large, atPeak: { ...large.atPeak, fileMb: 40 } };
    expect(attribution(withFiles)).toContain(
      '61 MB outside the heap: 40 MB of it the node binary and libraries (file-backed), 21 MB malloc',
    );
    const diagnosis = {
      ...large,
      retained: { evaluatedMb: 54, acting: { writes: 20_000, mb: 41 }, endMb: 17 },
    };
    const [peak, growth] = memoryLines([small, large], 'acting', diagnosis);
    expect(peak?.inputs).toContain('--max-semi-space-size=25 --max-old-space-size=461');
    expect(peak?.shown).toContain('54 MB when evaluation ended');
    expect(peak?.met).toBe(false);
    expect(growth?.value).toBeCloseTo(200 / 140, 2);
    expect(growth?.shown).toContain('old generation at the peak 74 vs 20 MB');
  });
});

describe('the bench builds and starts the sweep as deployed', () => {
  it("reads serverless.yml's esbuild output settings", () => {
    expect(serverlessEsbuild()).toEqual({ minify: true, keepNames: true, sourcemap: 'linked' });
    const yaml =
      'custom:\n  esbuild:\n    # why\n    minify: false\n    keepNames: false\n    sourcemap: false\n';
    expect(serverlessEsbuild(yaml)).toEqual({ minify: false, keepNames: false, sourcemap: false });
  });

  it('bundles with the linked source map and kept names serverless.yml deploys', async () => {
    const scratch = scratchDir('aps-bench-bundle-test');
    try {
      const built = await buildLikeServerless(['lib/errors.ts'], scratch.path);
      const path = built['errors']?.path ?? '';
      const code = readFileSync(path, 'utf8');
      expect(code).toMatch(/\/\/# sourceMappingURL=errors\.cjs\.map\s*$/);
      expect(existsSync(`${path}.map`)).toBe(true);
      // keepNames: esbuild's helper that gives each minified function and class its own name back.
      expect(code).toContain('"name",{value:');
    } finally {
      scratch.remove();
    }
  });

  it('names the esbuild setting it cannot read', () => {
    const yaml =
      'custom:\n  esbuild:\n    minify: true\n    keepNames: true\nother:\n  sourcemap: linked\n';
    expect(() => serverlessEsbuild(yaml)).toThrow(/custom\.esbuild\.sourcemap is missing/);
  });

  it("reads the functions' NODE_OPTIONS, one value for every stage", () => {
    expect(deployedNodeOptions()).toBe('--enable-source-maps');
    const two = '    local:\n      NODE_OPTIONS: --a\n    deployed:\n      NODE_OPTIONS: --b\n';
    expect(() => deployedNodeOptions(two)).toThrow(/found --a \| --b/);
  });
});

describe('memory by phase', () => {
  it('starts the drain at the first batch-maint call and acting at the first other write', () => {
    expect(phaseOf('GET', '/v1/p/app-servers')).toBeUndefined();
    expect(phaseOf('PATCH', '/v1/p/app-servers/actions/batch-maint')).toBe('drain');
    expect(phaseOf('POST', '/v1/p/cloudservers/s1/action')).toBe('act');
  });

  it('moves forward only and keeps each phase its highest sample', () => {
    const tracker = phaseTracker(() => 5);
    tracker.enter('evaluate');
    tracker.enter('drain');
    const drainStart = tracker.phases().drain?.start;
    tracker.sample(1e9);
    tracker.enter('evaluate');
    tracker.enter('drain');
    expect(Object.keys(tracker.phases())).toEqual(['evaluate', 'drain']);
    expect(tracker.phases().drain?.start).toBe(drainStart);
    expect(tracker.phases().drain?.peak).not.toBe(drainStart);
  });

  it('takes no breakdown for a peak within PEAK_STEP_MB of the last (each reads smaps_rollup)', () => {
    const tracker = phaseTracker(() => 5);
    tracker.enter('evaluate');
    const start = tracker.phases().evaluate?.start;
    tracker.sample((start?.rssMb ?? 0) + PEAK_STEP_MB / 2);
    expect(tracker.phases().evaluate?.peak).toBe(start);
    tracker.sample((start?.rssMb ?? 0) + PEAK_STEP_MB * 2);
    expect(tracker.phases().evaluate?.peak).not.toBe(start);
  });

  it('prints each space committed/used and what lies outside the heap', () => {
    const sample = {
      atMs: 2_000,
      rssMb: 200,
      heapUsedMb: 100,
      heapTotalMb: 140,
      externalMb: 3,
      arrayBuffersMb: 1,
      fileMb: 50,
      spacesMb: {
        new_space: 64,
        old_space: 60,
        code_space: 4,
        large_object_space: 2,
        map_space: 10,
      },
      spacesUsedMb: {
        new_space: 20,
        old_space: 50,
        code_space: 3,
        large_object_space: 2,
        map_space: 5,
      },
    };
    expect(partsText(sample)).toBe(
      '200 MB RSS at 2.0 s: heap committed/used new 64/20, old 60/50, code 4/3, large objects 2/2, other 10/5; external 3 (array buffers 1); outside the heap 60 (files 50, malloc 10)',
    );
    const withPhases = {
      ...run(1_000, 200, 60),
      phases: { evaluate: { start: sample, peak: sample }, act: { start: sample, peak: sample } },
    };
    expect(phasesText(withPhases)).toMatch(/^evaluate begins 200 MB RSS.*\. act begins /);
  });
});
