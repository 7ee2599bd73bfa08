import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

/** What the process's memory is made of at one instant, MB (process.memoryUsage and V8's heap spaces). */
export interface MemoryBreakdown {
  /** When it was sampled, ms after the sweep started (0: before it). */
  atMs: number;
  rssMb: number;
  /** V8 heap in use: live objects and garbage not yet collected. */
  heapUsedMb: number;
  /** V8 heap reserved (used + free space in its pages). */
  heapTotalMb: number;
  /** Memory of C++ objects bound to JS objects (Buffers' backing stores among them). */
  externalMb: number;
  arrayBuffersMb: number;
  /** Each V8 heap space's reserved (committed) size (v8.getHeapSpaceStatistics space_size), MB: new_space, old_space, code_space, … */
  spacesMb: Record<string, number>;
  /** Each V8 heap space's bytes in use (space_used_size), MB; absent in results from before it was sampled. */
  spacesUsedMb?: Record<string, number>;
  /**
   * RSS backed by files (the node binary and its libraries: RSS less
   * /proc/self/smaps_rollup `Anonymous`), MB; the rest of RSS outside the
   * V8 heap is malloc'd memory (node, V8's own structures, buffers).
   * Absent where /proc is not readable.
   */
  fileMb?: number;
}

const MB = 1024 * 1024;

/** RSS backed by files, MB (see MemoryBreakdown `fileMb`); undefined without /proc. */
function fileBackedMb(): number | undefined {
  try {
    const rollup = readFileSync('/proc/self/smaps_rollup', 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1]);
    const file = (kb('Rss') - kb('Anonymous')) / 1024;
    return Number.isFinite(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Samples this process's memory now; `atMs` labels when (ms after the sweep started). */
export function breakdown(atMs = 0): MemoryBreakdown {
  const m = process.memoryUsage();
  const fileMb = fileBackedMb();
  const spaces = getHeapSpaceStatistics();
  return {
    ...(fileMb === undefined ? {} : { fileMb }),
    atMs,
    rssMb: m.rss / MB,
    heapUsedMb: m.heapUsed / MB,
    heapTotalMb: m.heapTotal / MB,
    externalMb: m.external / MB,
    arrayBuffersMb: m.arrayBuffers / MB,
    spacesMb: Object.fromEntries(spaces.map((s) => [s.space_name, s.space_size / MB])),
    spacesUsedMb: Object.fromEntries(spaces.map((s) => [s.space_name, s.space_used_size / MB])),
  };
}

/** The sweep's phases as its requests show them (bench/lib/sweep-phases.ts names the same from the simulator's side). */
export const PHASES = ['evaluate', 'drain', 'act'] as const;
export type Phase = (typeof PHASES)[number];

/** A phase's memory: sampled when it began, and at its highest RSS (every 20 ms). */
export interface PhaseMemory {
  start: MemoryBreakdown;
  peak: MemoryBreakdown;
}

/**
 * The phase a request begins, if any: the first batch-maint call starts the
 * drain (every group is evaluated before it), the first other write (a
 * removal, after the wait and the re-checks) starts acting. Without a drain
 * the first removal starts acting straight after evaluation.
 */
export function phaseOf(method: string, path: string): Phase | undefined {
  if (method === 'GET') return undefined;
  return /\/app-servers\/actions\/batch-maint$/.test(path) ? 'drain' : 'act';
}

/**
 * How far RSS must pass the last breakdown before another is taken, MB. A
 * breakdown reads /proc/self/smaps_rollup and every heap space; RSS grows a
 * page at a time, so taking one at every higher 20 ms sample cost the sweep
 * lines' child CPU a sweep on Lambda never spends. The peak itself is
 * `maxRSS`; the breakdown shown is within this of it.
 */
export const PEAK_STEP_MB = 1;

/**
 * Tracks the phases of one sweep: `enter` moves forward only (a later
 * batch-maint, lifting maintenance, does not go back), `sample` keeps each
 * phase's highest RSS.
 */
export function phaseTracker(now: () => number): {
  enter(phase: Phase): void;
  sample(rssMb: number): void;
  phases(): Partial<Record<Phase, PhaseMemory>>;
} {
  const seen: Partial<Record<Phase, PhaseMemory>> = {};
  let current: Phase | undefined;
  return {
    enter(phase) {
      if (current !== undefined && PHASES.indexOf(phase) <= PHASES.indexOf(current)) return;
      current = phase;
      const at = breakdown(now());
      seen[phase] = { start: at, peak: at };
    },
    sample(rssMb) {
      const memory = current === undefined ? undefined : seen[current];
      if (memory !== undefined && rssMb > memory.peak.rssMb + PEAK_STEP_MB) {
        memory.peak = breakdown(now());
      }
    },
    phases: () => seen,
  };
}
