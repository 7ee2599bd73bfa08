import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchLine } from './lines.ts';

/** The commit a run measured, and whether the work tree had changes the commit does not hold. */
export interface Revision {
  commit: string;
  clean: boolean;
}

/** One past run in results.json: each line's value by its key (name + inputs). */
export interface HistoryEntry extends Revision {
  timestamp: string;
  values: Record<string, number>;
}

/** `git rev-parse HEAD` and `git status --porcelain` of `root`; `unknown` outside a repository. */
export function revision(root: string): Revision {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' });
    return { commit: git('rev-parse', 'HEAD').trim(), clean: git('status', '--porcelain') === '' };
  } catch {
    return { commit: 'unknown', clean: false };
  }
}

/** A line is compared only with runs that measured it the same way: same name and inputs. */
export function lineKey(line: Pick<BenchLine, 'name' | 'inputs'>): string {
  return `${line.name} | ${line.inputs}`;
}

/**
 * The history kept in `dir`/results.json: its `history`, or for a file from
 * before histories its own lines as the one entry (commit unknown).
 */
export function readHistory(dir: string): HistoryEntry[] {
  const path = join(dir, 'results.json');
  if (!existsSync(path)) return [];
  const old = JSON.parse(readFileSync(path, 'utf8')) as {
    timestamp?: string;
    commit?: string;
    clean?: boolean;
    history?: HistoryEntry[];
    lines?: BenchLine[];
  };
  if (Array.isArray(old.history)) return old.history;
  return [
    {
      timestamp: old.timestamp ?? 'unknown',
      commit: old.commit ?? 'unknown',
      clean: old.clean ?? false,
      values: Object.fromEntries((old.lines ?? []).map((l) => [lineKey(l), l.value])),
    },
  ];
}

/**
 * Marks each line whose target lies inside the run-to-run spread of its own
 * history (this run included, at least two runs): whether it is met is then
 * noise, so it is reported as such rather than as met or missed.
 */
export function withSpread(
  lines: readonly BenchLine[],
  history: readonly HistoryEntry[],
): BenchLine[] {
  return lines.map((line) => {
    const values = history
      .map((h) => h.values[lineKey(line)])
      .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (values.length < 2) return line;
    const min = Math.min(...values);
    const max = Math.max(...values);
    const inside = min <= line.target.value && line.target.value <= max && min < max;
    return inside ? { ...line, spread: { min, max, runs: values.length } } : line;
  });
}
