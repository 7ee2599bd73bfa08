import type { EvaluateBenchResult } from '../evaluate.ts';
import type { SimBenchResult } from '../sim.ts';
import { type BenchLine, fmt, line } from './lines.ts';

/** The in-process micro benchmarks' lines: evaluateGroup's cost (bench/evaluate.ts). */
export function evaluationLine(r: EvaluateBenchResult): BenchLine {
  return line({
    name: 'evaluation cost: evaluateGroup median',
    inputs:
      '1 group of 1,000 servers and 10,000 sessions, 30 warm-up + 200 timed calls (bench/evaluate.ts)',
    value: r.medianMs,
    unit: 'ms',
    shown: `${fmt(r.medianMs, 2)} ms (p95 ${fmt(r.p95Ms, 2)} ms)`,
    target: { op: '<', value: r.targetMs, unit: 'ms' },
    details: { ...r },
  });
}

/** The simulator's throughput (bench/sim.ts) at `size`. */
export function simulatorLine(
  r: SimBenchResult,
  size: { groups: number; requests: number },
): BenchLine {
  return line({
    name: 'simulator throughput',
    inputs: `${r.fleet} fleet in a child process, signed sweep-shaped GETs at concurrency 16, ${fmt(size.requests)} measured after 2,000 warm-up (bench/sim.ts)`,
    value: r.requestsPerSecond,
    unit: 'req/s',
    shown: `${fmt(r.requestsPerSecond)} req/s (fleet loaded in ${fmt(r.loadSeconds, 1)} s)`,
    target: { op: '>=', value: 2_000, unit: 'req/s' },
    details: { ...r },
  });
}
