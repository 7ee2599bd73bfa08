import { parseArgs } from 'node:util';

/** The groups of lines `--only` names, in the order a run measures them. */
export const GROUPS = [
  'evaluate',
  'sim',
  'sweep',
  'cold',
  'memory',
  'dynamo',
  'client',
  'fanout',
  'history',
  'page',
  'largest',
] as const;
export type Group = (typeof GROUPS)[number];

/** The generated fleets' seed and servers a group, the latency the simulator adds, and its throttle. */
export const SEED = 42;
export const SERVERS_PER_GROUP = 20;
export const LATENCY_MS = 20;
export const THROTTLE = { ratePerSecond: 50, burst: 50 };

/**
 * Sizes of a full run, of `--quick` (a smoke test: same code paths, small
 * numbers) and of `--large` (a full run with the fanout at 10,000 groups).
 */
function sizesOf(quick: boolean, large: boolean) {
  return quick
    ? {
        sweepGroups: 100,
        coldStartRuns: 3,
        memoryGroups: [100, 1_000],
        simBench: { groups: 1_000, requests: 1_000 },
        fanoutGroups: 500,
        historyGroups: 200,
        pageGroups: 1_000,
        largestGroups: [100],
      }
    : {
        sweepGroups: 1_000,
        coldStartRuns: 15,
        memoryGroups: [1_000, 10_000],
        simBench: { groups: 10_000, requests: 5_000 },
        // 10,000 at K = 1 alone took ~15 minutes on the 2-core machine (issue 31).
        fanoutGroups: large ? 10_000 : 2_000,
        historyGroups: 10_000,
        pageGroups: 10_000,
        // Each an acting sweep of up to the deployed timeout on 0.289 core; the search stops at the first that does not settle.
        largestGroups: [2_000, 4_000, 6_000, 8_000, 10_000],
      };
}
export type BenchSizes = ReturnType<typeof sizesOf>;

/** What one `npm run bench` invocation was asked for. */
export interface RunOptions {
  quick: boolean;
  large: boolean;
  /** `--only`'s groups; undefined: every group (`largest` only with --large). */
  only: Group[] | undefined;
  /** Whether a group of lines runs in this invocation. */
  runs(group: Group): boolean;
  sizes: BenchSizes;
  /** The command as a person would type it again (results.json `command`, RESULTS.md's first line). */
  command: string;
}

/** Parses `npm run bench`'s flags; an unknown `--only` group or `--quick --large` is an error naming it. */
export function parseRunOptions(
  argv: readonly string[],
  env: Record<string, string | undefined>,
): RunOptions {
  const { values: flags } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      /** The larger sizes a default run leaves out to finish in 15 minutes (fanout at 10,000 groups, the largest inline fleet). */
      large: { type: 'boolean', default: false },
      /** Comma-separated groups to run, e.g. `--only client,sweep,fanout`; default all (`largest` only with --large or when named). */
      only: { type: 'string' },
    },
    strict: true,
  });
  const quick = flags.quick === true;
  const large = flags.large === true;
  if (quick && large) throw new Error('--quick and --large: choose one');
  const only = flags.only?.split(',').map((g) => g.trim());
  for (const g of only ?? []) {
    if (!(GROUPS as readonly string[]).includes(g)) {
      throw new Error(`--only: unknown group ${g} (known: ${GROUPS.join(', ')})`);
    }
  }
  const args = [
    ...(quick ? ['--quick'] : []),
    ...(large ? ['--large'] : []),
    ...(only === undefined ? [] : [`--only ${only.join(',')}`]),
  ];
  const fanoutGroups = env['BENCH_FANOUT_GROUPS'];
  return {
    quick,
    large,
    only: only as Group[] | undefined,
    // The largest-fleet search (many sweeps of up to 10 minutes) only when asked for.
    runs: (group) => (only === undefined ? group !== 'largest' || large : only.includes(group)),
    sizes: sizesOf(quick, large),
    command: `${fanoutGroups ? `BENCH_FANOUT_GROUPS=${fanoutGroups} ` : ''}npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
  };
}
