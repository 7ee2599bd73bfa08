import { arch, cpus, platform, release, totalmem } from 'node:os';

/** A target a measured value must meet. */
export interface Target {
  op: '<=' | '<' | '>=' | '==';
  value: number;
  unit?: string;
}

/** One line of the bench table: a ratio or count measured in this run, its inputs and its target. */
export interface BenchLine {
  name: string;
  inputs: string;
  value: number;
  unit: string;
  /** How the value reads in the table, with the figures behind it. */
  shown: string;
  target: Target;
  met: boolean;
  /** Everything else measured for this line, kept in results.json. */
  details?: Record<string, unknown>;
  /** Markdown RESULTS.md prints after the table (e.g. this run's CPU profile behind the line). */
  appendix?: string;
  /** Set when the target lies inside the spread of this line's own history (bench/lib/history.ts). */
  spread?: { min: number; max: number; runs: number };
}

/** Whether `value` meets `target`; equality tolerates rounding to 1e-9. */
export function meets(value: number, target: Target): boolean {
  if (!Number.isFinite(value)) return false;
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '<':
      return value < target.value;
    case '>=':
      return value >= target.value;
    case '==':
      return Math.abs(value - target.value) < 1e-9;
  }
}

/** `≤ 1.25`, `≥ 2000 req/s`, … */
export function describeTarget(target: Target): string {
  const op = { '<=': '≤', '<': '<', '>=': '≥', '==': '=' }[target.op];
  return `${op} ${target.value}${target.unit ? ` ${target.unit}` : ''}`;
}

/** Builds a line, deciding `met` from the value and the target. */
export function line(fields: Omit<BenchLine, 'met'> & { met?: boolean }): BenchLine {
  const met = meets(fields.value, fields.target) && (fields.met ?? true);
  return { ...fields, met };
}

/** A number in en-US style with exactly `digits` decimals. */
export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Milliseconds as seconds with one decimal. */
export const seconds = (ms: number): string => `${fmt(ms / 1000, 1)} s`;

/** Rounds to `digits` decimals. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** `yes`, `**no**`, or, when the target lies inside the line's run-to-run spread, that instead. */
export function metCell(l: BenchLine): string {
  if (l.spread === undefined) return l.met ? 'yes' : '**no**';
  const { min, max, runs } = l.spread;
  return `within spread (${min}–${max} over ${runs} runs; ${l.met ? 'met' : 'missed'} this run)`;
}

/** The markdown table of a run: name, inputs, measured, target, met. */
export function markdownTable(lines: readonly BenchLine[]): string {
  const rows = [
    '| benchmark | inputs | measured | target | met |',
    '| --- | --- | --- | --- | --- |',
    ...lines.map(
      (l) =>
        `| ${cell(l.name)} | ${cell(l.inputs)} | ${cell(l.shown)} | ${cell(describeTarget(l.target))} | ${metCell(l)} |`,
    ),
  ];
  return rows.join('\n');
}

export interface Machine {
  os: string;
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
}

/** The machine a run happened on, for results.json and RESULTS.md. */
export function machine(): Machine {
  const list = cpus();
  return {
    os: `${platform()} ${release()} ${arch()}`,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
  };
}
