import { type Config, loadConfig } from '../lib/config.ts';
import { describeFailure } from '../lib/errors.ts';
import { clientEnvOf, type Simulator, startSimulator } from '../sim/server.ts';
import { countsTable } from './lib/counts-table.ts';
import { decisionRows, table } from './lib/decision-table.ts';
import { PLAN_USAGE, type PlanArgs, PlanUsageError, parsePlanArgs } from './lib/plan-args.ts';
import {
  caveatLines,
  planCounts,
  summaryLine,
  whatIfTable,
  writePlanFiles,
} from './lib/plan-output.ts';
import { progressReporter } from './lib/plan-progress.ts';
import { deniedLine, runPlan } from './lib/plan-run.ts';

// `npm run plan`: what a sweep would do in your account (or on the built-in
// simulator), changing nothing. See docs/simulator.md, "Before you deploy".

/** Variables that would point plan mode anywhere but the simulator, dropped in --sim. */
const KEY_SOURCES = [
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_AK_PARAMETER',
  'HUAWEICLOUD_SDK_SK_PARAMETER',
  'HUAWEICLOUD_SDK_SECRET_ID',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
];

function hasKey(env: NodeJS.ProcessEnv): boolean {
  return KEY_SOURCES.some((name) => (env[name] ?? '').trim() !== '');
}

async function startSim(args: PlanArgs): Promise<Simulator> {
  // The client signs with the wall clock: rebase the fleet onto it, decisions unchanged.
  const clock = { now: 'real', rebase: true };
  if (args.size !== undefined) return startSimulator({ generate: args.size, clock });
  return startSimulator({ fleet: args.fleet, clock });
}

function simEnv(env: NodeJS.ProcessEnv, sim: Simulator): NodeJS.ProcessEnv {
  const clean = { ...env };
  for (const name of KEY_SOURCES) delete clean[name];
  return {
    ...clean,
    ...clientEnvOf(sim),
    // The simulator is local: no need to pace requests as for the real API, unless asked.
    RATE_LIMIT_RPS: env['RATE_LIMIT_RPS'] ?? '0',
  };
}

/** The first line: where plan mode reads from; on the simulator, why when it was not asked for. */
function headerLine(args: PlanArgs, config: Config, sim: Simulator | undefined): string {
  if (sim === undefined) {
    return `plan mode (read only) against project ${config.projectId} in ${config.region}: ${config.apsEndpoint}`;
  }
  const why = args.sim ? '' : ' (no HUAWEICLOUD_SDK_AK set)';
  const fleet =
    args.size === undefined
      ? (args.fleet ?? 'demo fleet')
      : `generated fleet ${args.size.groups}x${args.size.serversPerGroup} seed ${args.size.seed}`;
  return `plan mode (read only) on the built-in simulator${why}: ${fleet}, ${sim.url}`;
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const args = parsePlanArgs(argv);
  if (args.help) {
    console.log(PLAN_USAGE);
    return 0;
  }
  const onSim = args.sim || !hasKey(env);
  const sim = onSim ? await startSim(args) : undefined;
  try {
    // Checked exactly as the functions check it (the drain and log-off
    // settings included), then run with no drain: plan mode acts on nothing,
    // so it needs no drain table (a placeholder name stands in for the stack's).
    const source = sim === undefined ? env : simEnv(env, sim);
    const config: Config = {
      ...loadConfig({ DRAIN_TABLE_NAME: 'plan-mode-no-drain', ...source }),
      drainSeconds: 0,
    };
    const header = headerLine(args, config, sim);
    const progress = progressReporter(process.stderr);
    const result = await runPlan({
      config,
      whatIf: args.whatIf,
      prices: args.prices,
      at: args.at,
      onProgress: progress.update,
    }).finally(progress.done);

    if (result.denied !== undefined) {
      console.error(deniedLine(result.denied, config));
      return 2;
    }
    if (result.refused.length > 0) {
      console.error(
        `plan: BUG: plan mode reached mutating calls (${[...new Set(result.refused)].join(', ')}) and refused them; nothing was changed`,
      );
      return 3;
    }
    const { report } = result;
    if (report.errors.length > 0 && report.totals.groups === 0) {
      console.error(`plan: could not list the server groups: ${report.errors[0]?.error}`);
      return 1;
    }
    console.log(header);
    if (args.at !== undefined) {
      console.log(`evaluated at ${new Date(args.at).toISOString()} on the data fetched now`);
      const hours = (Date.now() - args.at) / 3_600_000;
      if (hours > 0) {
        console.log(
          `note: --at is ${hours.toFixed(1)} hours in the past: sessions and activity after it count as not yet happened, so servers used since then read recently-used`,
        );
      }
    }
    console.log(table(decisionRows(report.groups)));
    const counts = planCounts(result, args.prices, config.hourlyPriceByFlavor);
    console.log(`\n${countsTable(counts)}\n`);
    console.log(summaryLine(report, counts));
    for (const line of caveatLines(report)) console.log(line);
    console.log(`\nwhat-if on the same data (no second fetch):`);
    console.log(whatIfTable(result.whatIf));
    const files = writePlanFiles(
      args.out,
      result,
      counts,
      `aps-autoscaler plan: project ${config.projectId}${args.at === undefined ? '' : ` at ${new Date(args.at).toISOString()}`}`,
    );
    console.log(`\nwrote ${files.json}\nwrote ${files.html}`);
    // An aborted plan is an answer (the cap would stop the sweep); a partial one missed groups.
    return report.status === 'partial' ? 1 : 0;
  } finally {
    await sim?.close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2), process.env);
} catch (error) {
  const message =
    error instanceof PlanUsageError
      ? `${error.message}\n${PLAN_USAGE}`
      : describeFailure(error).message;
  console.error(`plan: ${message}`);
  process.exitCode = 2;
}
