import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runEvaluateBench } from './evaluate.ts';
import { ROOT } from './lib/bundle.ts';
import { runClientCpuBench } from './lib/client-cpu.ts';
import { clientLines } from './lib/client-lines.ts';
import { runColdStartBench } from './lib/cold-start.ts';
import { coldStartLines } from './lib/cold-start-lines.ts';
import { startDeployedSweeps } from './lib/deployed-sweep.ts';
import { durationLine } from './lib/duration-line.ts';
import { runDynamoBench } from './lib/dynamo.ts';
import { DRAINED_A_GROUP, dynamoLines } from './lib/dynamo-lines.ts';
import { runFanoutBench } from './lib/fanout.ts';
import { fanoutLines } from './lib/fanout-lines.ts';
import { lineKey, readHistory, revision, withSpread } from './lib/history.ts';
import { historyLines } from './lib/history-lines.ts';
import { runLargestFleetBench } from './lib/largest-fleet.ts';
import { largestFleetLine } from './lib/largest-fleet-lines.ts';
import { type BenchLine, fmt, machine, markdownTable, round } from './lib/lines.ts';
import { createMeasurer, progress } from './lib/measure.ts';
import { runMemoryBench } from './lib/memory.ts';
import { memoryLines } from './lib/memory-lines.ts';
import { evaluationLine, simulatorLine } from './lib/micro-lines.ts';
import { reportPageLines } from './lib/report-page-lines.ts';
import { resultsMarkdown } from './lib/results-markdown.ts';
import {
  type Group,
  LATENCY_MS,
  parseRunOptions,
  SEED,
  SERVERS_PER_GROUP,
  THROTTLE,
} from './lib/run-options.ts';
import { deployedDrainSeconds, sweepTimeoutSeconds } from './lib/serverless-settings.ts';
import { startSimProcess } from './lib/sim-process.ts';
import { runIdealBench, runThrottleBench } from './lib/sweep-bench.ts';
import { economyLine, idealLine, quotaLine, releaseLine, throttleLine } from './lib/sweep-lines.ts';
import { runSimBench } from './sim.ts';

const options = parseRunOptions(process.argv.slice(2), process.env);
const { quick, large, runs, sizes: SIZES } = options;
const partial = options.only !== undefined;

const { measure, partSeconds } = createMeasurer();

async function sweepBenches(): Promise<BenchLine[]> {
  const fleet = { groups: SIZES.sweepGroups, serversPerGroup: SERVERS_PER_GROUP, seed: SEED };
  const sim = await startSimProcess(fleet);
  const sweeps = await startDeployedSweeps();
  const { settings } = sweeps;
  try {
    progress(
      `simulator (pid ${sim.pid}) loaded ${fmt(fleet.groups)} × ${SERVERS_PER_GROUP} in ${sim.loadSeconds} s`,
    );
    const ideal = await runIdealBench(sweeps, sim, fleet, { latencyMs: LATENCY_MS });
    progress(`sweep on the function's CPU share (${settings.cpuShare} core)…`);
    const quota = await runIdealBench(sweeps, sim, fleet, {
      latencyMs: LATENCY_MS,
      quota: true,
    }).catch((error: unknown) => ({ unavailable: (error as Error).message }));
    progress('release mode…');
    const release = await runIdealBench(sweeps, sim, fleet, {
      latencyMs: LATENCY_MS,
      removalMode: 'release',
    });
    progress('throttling…');
    const t = await runThrottleBench(sweeps, sim, fleet, {
      ...THROTTLE,
      latencyMs: LATENCY_MS,
      remainingMs: quick ? 60_000 : 120_000,
    });
    return [
      idealLine(ideal, settings),
      quotaLine(quota, ideal, settings),
      economyLine(ideal, settings),
      releaseLine(release, settings),
      throttleLine(t, fleet, settings),
    ];
  } finally {
    await sweeps.close();
    await sim.stop();
  }
}

async function coldStartBenches(): Promise<BenchLine[]> {
  return coldStartLines(await runColdStartBench(SIZES.coldStartRuns));
}

async function memoryBenches(): Promise<BenchLine[]> {
  const sizes = SIZES.memoryGroups.map((groups) => ({
    groups,
    serversPerGroup: SERVERS_PER_GROUP,
  }));
  const sweeps = await startDeployedSweeps();
  try {
    // The acting sweep, drain on, is the main line; the dry run (which keeps nothing for acting) the second.
    const acting = await runMemoryBench(sweeps, sizes, SEED, { dryRun: false });
    const dry = await runMemoryBench(sweeps, sizes, SEED, { dryRun: true });
    // Attribution only: the larger acting sweep again, collected fully when its
    // first removal goes out and halfway through its removals (which changes
    // its run, so it is never the measured one).
    // Off unless BENCH_MEMORY_DIAGNOSIS=1: with the drain on it costs as long as the measured run.
    const large = process.env['BENCH_MEMORY_DIAGNOSIS'] === '1' ? sizes.at(-1) : undefined;
    const halfway = Math.max(2, Math.round((acting.at(-1)?.removed ?? 0) / 2));
    const [diagnosis] =
      large === undefined
        ? []
        : await runMemoryBench(sweeps, [large], SEED, {
            dryRun: false,
            diagnose: { mark: halfway },
          });
    const drain = sweeps.settings.drainSeconds;
    return [
      ...memoryLines(acting, 'acting', diagnosis, drain),
      ...memoryLines(dry, 'dry run', undefined, drain),
    ];
  } finally {
    await sweeps.close();
  }
}

/** Table requests per drained group and server, at 2 and 20 drained a group (bench/lib/dynamo.ts). */
async function dynamoBenches(): Promise<BenchLine[]> {
  const sweeps = await startDeployedSweeps();
  try {
    // The figures are per group: 20 groups show them at any size.
    const options = { groups: 20, perGroup: DRAINED_A_GROUP, seed: SEED };
    return dynamoLines(await runDynamoBench(sweeps, options), sweeps.settings);
  } finally {
    await sweeps.close();
  }
}

async function evaluateBench(): Promise<BenchLine[]> {
  return [evaluationLine(runEvaluateBench())];
}

async function simBench(): Promise<BenchLine[]> {
  return [simulatorLine(await runSimBench(SIZES.simBench), SIZES.simBench)];
}

/** The side by side: ours and the official SDK, the floor, fetch and undici for scale (bench/lib/client-cpu.ts). */
async function clientBenches(): Promise<BenchLine[]> {
  const options = {
    requests: quick ? 300 : 2_000,
    warmup: quick ? 50 : 200,
    latencyMs: LATENCY_MS,
    concurrency: 16,
  };
  return clientLines(await runClientCpuBench(options), options);
}

/** The fanout's fleet: BENCH_FANOUT_GROUPS when set, else the run's size. */
function fanoutSize(): number {
  return Number(process.env['BENCH_FANOUT_GROUPS'] ?? SIZES.fanoutGroups);
}

/** Issue 12's distributed path at scale: fanout into local SQS, then K remediate workers (bench/lib/fanout.ts). */
async function fanoutBenches(): Promise<BenchLine[]> {
  const groups = fanoutSize();
  const fleet = { groups, serversPerGroup: SERVERS_PER_GROUP, seed: SEED };
  const sim = await startSimProcess(fleet);
  try {
    const r = await runFanoutBench(sim, fleet, {
      latencyMs: LATENCY_MS,
      workers: (process.env['BENCH_FANOUT_WORKERS'] ?? '1,8').split(',').map(Number),
      progress,
    });
    return fanoutLines(r);
  } finally {
    await sim.stop();
  }
}

/** The largest fleet the inline sweep settles in its deployed timeout on the CPU share (bench/lib/largest-fleet.ts). */
async function largestFleetBenches(): Promise<BenchLine[]> {
  const sweeps = await startDeployedSweeps();
  try {
    const r = await runLargestFleetBench(sweeps, SIZES.largestGroups, {
      serversPerGroup: SERVERS_PER_GROUP,
      seed: SEED,
      latencyMs: LATENCY_MS,
      timeoutSeconds: sweepTimeoutSeconds(),
      drainSeconds: deployedDrainSeconds(),
      progress,
    });
    return [largestFleetLine(r, sweeps.settings, SIZES.sweepGroups)];
  } finally {
    await sweeps.close();
  }
}

function valuesOf(lines: readonly BenchLine[]): Record<string, number> {
  return Object.fromEntries(lines.map((l) => [lineKey(l), l.value]));
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  // The commit measured: taken before anything is built or run.
  const { commit, clean } = revision(ROOT);
  const { command } = options;
  const when = async (group: Group, name: string, run: () => Promise<BenchLine[]>) =>
    runs(group) ? measure(name, run) : [];
  // The two in-process micro benchmarks go first, while this process is fresh
  // (as when they run on their own); the table keeps the order.
  const evaluation = await when('evaluate', 'evaluation cost', evaluateBench);
  const simulator = await when('sim', 'simulator throughput', simBench);
  const measured: BenchLine[] = [
    ...(await when('sweep', 'sweep, API economy, throttling', sweepBenches)),
    ...(await when('cold', 'cold start', coldStartBenches)),
    ...(await when('memory', 'memory', memoryBenches)),
    ...(await when('dynamo', 'DynamoDB requests per drained group', dynamoBenches)),
    ...(await when('client', 'client side by side', clientBenches)),
    ...(await when('fanout', 'fanout at scale', fanoutBenches)),
    ...(await when('history', 'demand history', () =>
      historyLines({ groups: SIZES.historyGroups, quick }),
    )),
    ...(await when('page', 'report page in Chromium', () =>
      reportPageLines({ groups: SIZES.pageGroups, seed: SEED }),
    )),
    ...(await when('largest', 'largest inline fleet', largestFleetBenches)),
    ...evaluation,
    ...simulator,
  ];
  const durationSeconds = round((performance.now() - started) / 1000, 1);
  const timestamp = new Date().toISOString();
  const host = {
    ...machine(),
    loadAverage: { before: loadBefore.map((n) => round(n)), after: loadavg().map((n) => round(n)) },
  };
  if (!quick && !partial && !large) {
    const load = { before: host.loadAverage.before[0] ?? 0, after: host.loadAverage.after[0] ?? 0 };
    measured.push(durationLine(durationSeconds, partSeconds, load));
  }
  const history = [
    ...readHistory(fileURLToPath(new URL('.', import.meta.url))),
    ...(quick || partial ? [] : [{ timestamp, commit, clean, values: valuesOf(measured) }]),
  ];
  const lines = withSpread(measured, history);
  const table = markdownTable(lines);
  const met = lines.filter((l) => l.met && l.spread === undefined).length;
  const noisy = lines.filter((l) => l.spread !== undefined).length;

  // A quick run is a smoke test and an --only run a subset: neither replaces a full run's files.
  const outDir = quick
    ? join(tmpdir(), 'aps-autoscaler-bench-quick')
    : partial
      ? join(fileURLToPath(new URL('.', import.meta.url)), 'partial')
      : fileURLToPath(new URL('.', import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const results = {
    timestamp,
    command,
    quick,
    commit,
    clean,
    durationSeconds,
    parts: partSeconds,
    sizes: { ...SIZES, fanoutGroups: fanoutSize() },
    machine: host,
    lines,
    history,
  };
  writeFileSync(join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const markdown = resultsMarkdown(results, lines, table, {
    met,
    noisy,
  });
  writeFileSync(join(outDir, 'RESULTS.md'), markdown);

  process.stdout.write(
    `\n${table}\n\n${met} of ${lines.length} targets met (${noisy} within spread) in ${durationSeconds} s; wrote ${join(outDir, 'results.json')} and RESULTS.md\n`,
  );
}

await main();
