import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  type PrintedService,
  paramsOfVariables,
  problemsOfArguments,
  problemsOfStage,
  stagesOf,
} from './lib/stage-validation.ts';

// `npm run validate [-- --stage S ...] [--param name=value ...]`: resolves each
// stage with `osls print` (offline) and checks it with the functions' own
// schema, so a bad parameter fails here rather than in AWS. Without --stage it
// checks every stage named under `params:` in serverless.yml. Every problem is
// one line on stderr; the exit code is 1 when there is any.

const run = promisify(execFile);
const repo = new URL('../', import.meta.url).pathname;
const USAGE = `usage: npm run validate -- [--stage S ...] [--param name=value ...]
Checks each stage's resolved configuration with the functions' own schema, offline.
A deployed stage needs at least --param huaweicloudProjectId=<your Huawei Cloud project id>;
every parameter and its default is in docs/configuration.md.`;

/** The resolved stage, or the one line osls printed after `Error:` when it could not resolve it. */
async function print(stage: string, values: string[]): Promise<PrintedService | string> {
  const args = ['osls', 'print', '--format', 'json', '--stage', stage];
  for (const value of values) args.push('--param', value);
  try {
    const { stdout } = await run('npx', args, {
      cwd: repo,
      timeout: 120_000,
      maxBuffer: 32 << 20,
    });
    return JSON.parse(stdout) as PrintedService;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const lines = stderr.split('\n').map((line) => line.trim());
    const cause = lines.slice(lines.indexOf('Error:') + 1).find((line) => line !== '');
    return `osls print failed: ${cause ?? (error as Error).message.split('\n')[0]}`;
  }
}

async function main(argv: string[]): Promise<number> {
  const stages: string[] = [];
  const values: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--stage' || flag === '--param') && value !== undefined) {
      (flag === '--stage' ? stages : values).push(value);
      i++;
    } else {
      console.error(`validate: unknown argument ${flag}\n${USAGE}`);
      return 2;
    }
  }
  if (argv.length === 0) console.error(`${USAGE}\nNo --stage given: checking every stage.\n`);
  const yml = readFileSync(`${repo}serverless.yml`, 'utf8');
  const declared = stagesOf(yml);
  const argumentProblems = problemsOfArguments(values, yml);
  if (argumentProblems.length > 0) {
    for (const problem of argumentProblems) console.error(problem);
    return 1;
  }
  const params = paramsOfVariables(yml);
  const checked = stages.length > 0 ? stages : declared;
  // Each `osls print` is seconds of CPU starting the framework: the stages
  // resolve at once, and are reported in order.
  const prints = await Promise.all(
    checked.map((stage) =>
      declared.includes(stage)
        ? print(stage, values)
        : `unknown stage (serverless.yml params: names ${declared.join(', ')}; add a block there to create one)`,
    ),
  );
  let failed = 0;
  for (const [i, stage] of checked.entries()) {
    const printed = prints[i] as PrintedService | string;
    const problems = typeof printed === 'string' ? [printed] : problemsOfStage(printed, params);
    if (problems.length === 0) console.log(`stage ${stage}: ok`);
    else {
      failed++;
      for (const problem of problems) console.error(`stage ${stage}: ${problem}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(
    `validate: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
  );
  process.exitCode = 1;
}
