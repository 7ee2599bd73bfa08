import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSweepHandler } from '../../functions/sweep.ts';
import { createTransport, type Transport } from '../../lib/huawei/transport.ts';
import type { SweepReport } from '../../lib/sweep/report.ts';
import { fakeContext } from '../../scripts/lib/lambda.ts';
import {
  breakdown,
  type MemoryBreakdown,
  PEAK_STEP_MB,
  type Phase,
  type PhaseMemory,
  phaseOf,
  phaseTracker,
} from './memory-breakdown.ts';
import { benchDeps, type SimTarget } from './sweep-deps.ts';

/** Heap used right after a full (forced) collection: what is reachable, MB. */
export interface Retained {
  /** When the first removal request went out: what the sweep holds from evaluation for acting. */
  evaluatedMb?: number;
  /** Diagnosis only: when the first removal request went out, ms after the sweep started. */
  evaluatedAtMs?: number;
  /** Diagnosis only: at the write request numbered BENCH_MEMORY_MARK (mid-act), its number and MB. */
  acting?: { writes: number; mb: number };
  /** When the handler returned, the report still referenced. */
  endMb: number;
}

/** What the memory child prints as its one line of stdout. */
export interface MemoryChildResult {
  /** Peak RSS up to the handler's return (process.resourceUsage().maxRSS), MB. */
  sweepPeakMb: number;
  /** Peak RSS after the report was also serialised, as the Lambda runtime does with a result, MB. */
  peakMb: number;
  /** Highest RSS seen by sampling every 20 ms during the sweep, MB. */
  sampledPeakMb: number;
  /** The breakdown sampled at the highest RSS seen (every 20 ms during the sweep). */
  atPeak: MemoryBreakdown;
  /** The breakdown once the process had loaded everything, before the sweep. */
  atStart: MemoryBreakdown;
  /** Each phase's breakdown when it began and at its highest RSS (absent in results from before phases were sampled). */
  phases?: Partial<Record<Phase, PhaseMemory>>;
  /**
   * Heap reachable after a forced full GC. The measured run forces one only
   * after the handler returned and every peak was read (so it cannot lower
   * them); the diagnostic run (BENCH_MEMORY_DIAG=1) also forces one when the
   * first removal request goes out, which changes what follows.
   */
  retained: Retained;
  /** Full (mark-sweep-compact) and young collections V8 ran during the sweep, and every GC pause, ms. */
  gc: { majors: number; minors: number; pauseMs: number };
  /** RSS once the process had loaded everything, before the sweep, MB. */
  startMb: number;
  /** The report as JSON, bytes. */
  reportBytes: number;
  groups: number;
  /** Servers the sweep removed (0 in a dry run). */
  removed: number;
  /**
   * Servers the sweep drained and settled: removed, found removed already, or
   * undone (maintenance lifted) after the drain.
   */
  drained: number;
  /** Groups the sweep planned removals in (decision scale-in). */
  actedGroups: number;
  requests: number;
  status: string;
  errors: number;
  notVisited: number;
  durationMs: number;
  /** CPU time of this process during the sweep (process.cpuUsage, user + system), ms. */
  cpuMs: number;
  retries: number;
  /** 429 answers the sweep received. */
  throttled: number;
  /** The whole report, when BENCH_REPORT=1 asked for it. */
  report?: SweepReport;
  /** Set in a diagnostic run: heap snapshots written (at the first removal request, at the end). */
  snapshots?: string[];
}

const MB = 1024 * 1024;

/**
 * A full collection on demand without starting node with --expose-gc (which
 * would change how the measured run's heap is sized): the flag is turned on
 * at run time and `gc` taken from a fresh context.
 */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * The sweep's own transport with one hook: `onWrite` runs before each request
 * that is not a GET (maintenance and removals; the first one ends
 * evaluation), with its number and the phase it begins (bench/lib/memory-breakdown.ts `phaseOf`).
 */
function watchingTransport(onWrite: (writes: number, phase: Phase | undefined) => void): Transport {
  const inner = createTransport();
  let writes = 0;
  return {
    send(req) {
      if (req.method !== 'GET') onWrite(++writes, phaseOf(req.method, req.path));
      return inner.send(req);
    },
    close: () => inner.close(),
  };
}

/**
 * Runs one sweep against the simulator named by BENCH_SIM (a JSON SimTarget)
 * with BENCH_ENV (JSON configuration overrides) and prints a MemoryChildResult.
 * BENCH_REMAINING_MS is the invocation's time (default 900 s); BENCH_REPORT=1 adds the
 * whole report. Bundled and started in a fresh `node` by bench/lib/deployed-sweep.ts. With
 * BENCH_MEMORY_DIAG=1 it also collects fully when the first removal request
 * goes out (and at the BENCH_MEMORY_MARK-th) and, with BENCH_MEMORY_SNAPSHOTS=<dir>, writes heap snapshots there
 * (diagnosis only: both change the run).
 */
async function main(): Promise<void> {
  const target = JSON.parse(process.env['BENCH_SIM'] ?? '') as SimTarget;
  const env = JSON.parse(process.env['BENCH_ENV'] ?? '{}') as Record<string, string>;
  const diag = process.env['BENCH_MEMORY_DIAG'] === '1';
  const snapshotDir = process.env['BENCH_MEMORY_SNAPSHOTS'];
  const gc = fullGc();
  const retained: Partial<Retained> = {};
  const snapshots: string[] = [];
  const snapshot = (name: string) => {
    if (snapshotDir !== undefined)
      snapshots.push(writeHeapSnapshot(`${snapshotDir}/${name}.heapsnapshot`));
  };
  const mark = Number(process.env['BENCH_MEMORY_MARK'] ?? 0);
  const phases = phaseTracker(() => performance.now() - started);
  const transport = watchingTransport((writes, phase) => {
    if (phase !== undefined) phases.enter(phase);
    if (!diag || (writes !== 1 && writes !== mark)) return;
    gc();
    const mb = process.memoryUsage().heapUsed / MB;
    if (writes === 1) {
      retained.evaluatedMb = mb;
      retained.evaluatedAtMs = performance.now() - started;
    } else retained.acting = { writes, mb };
    snapshot(writes === 1 ? 'evaluated' : 'acting');
  });
  const handler = createSweepHandler(benchDeps(target, env, transport));
  const gcStats = { majors: 0, minors: 0, pauseMs: 0 };
  const { constants, PerformanceObserver } = await import('node:perf_hooks');
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      // Full mark-sweep-compact and young-generation scavenges are counted;
      // incremental marking steps and weak callbacks only add their pauses.
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcStats.majors++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcStats.minors++;
      gcStats.pauseMs += entry.duration;
    }
  });
  const atStart = breakdown();
  const startMb = atStart.rssMb;
  let atPeak = atStart;
  let started = performance.now();
  const sampler = setInterval(() => {
    const rss = process.memoryUsage.rss() / MB;
    phases.sample(rss);
    if (rss > atPeak.rssMb + PEAK_STEP_MB) atPeak = breakdown(performance.now() - started);
  }, 20);
  observer.observe({ entryTypes: ['gc'] });
  started = performance.now();
  phases.enter('evaluate');
  const cpuBefore = process.cpuUsage();
  const remainingMs = Number(process.env['BENCH_REMAINING_MS'] ?? 900_000);
  const report = await handler({ detail: {} }, fakeContext({ remainingMs }));
  const durationMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  observer.disconnect();
  const sweepPeakMb = process.resourceUsage().maxRSS / 1024;
  const reportBytes = Buffer.byteLength(JSON.stringify(report));
  const peakMb = process.resourceUsage().maxRSS / 1024;
  // Every peak is read: a forced collection now changes nothing measured.
  gc();
  retained.endMb = process.memoryUsage().heapUsed / MB;
  snapshot('end');
  const result: MemoryChildResult = {
    sweepPeakMb,
    peakMb,
    sampledPeakMb: atPeak.rssMb,
    atPeak,
    atStart,
    phases: phases.phases(),
    retained: retained as Retained,
    gc: gcStats,
    startMb,
    reportBytes,
    groups: report.totals.groups,
    removed: report.totals.outcomes.removed,
    drained:
      report.totals.outcomes.removed +
      report.totals.outcomes['already-removed'] +
      report.totals.outcomes['drain-undone'],
    actedGroups: report.totals.decisions['scale-in'],
    requests: report.requests.requests,
    status: report.status,
    errors: report.errors.length,
    notVisited: report.notVisitedCount,
    durationMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    retries: report.requests.retries,
    throttled: report.requests.throttled,
    ...(process.env['BENCH_REPORT'] === '1' ? { report } : {}),
    ...(snapshots.length > 0 ? { snapshots } : {}),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`memory child failed: ${String(error)}\n`);
  process.exitCode = 1;
});
