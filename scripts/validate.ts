import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { type PrintedService, paramsOfVariables, problemsOfStage } from './lib/stage-validation.ts';

// `npm run validate [-- --stage S ...] [--param name=value ...]`: resolves each
// stage with `osls print` (offline) and checks it with the functions' own
// schema, so a bad parameter fails here rather than in AWS. Without --stage it
// checks every stage named under `params:` in serverless.yml (or `dev`).

const run = promisify(execFile);
const repo = new URL('../', import.meta.url).pathname;
const USAGE = `usage: npm run validate -- [--stage S ...] [--param name=value ...]
Checks each stage's resolved configuration with the functions' own schema, offline.
A deployed stage needs at least --param huaweicloudProjectId=<your Huawei Cloud project id>;
every parameter and its default is under params: in serverless.yml.`;

async function print(stage: string, values: string[]): Promise<PrintedService> {
  const args = ['osls', 'print', '--format', 'json', '--stage', stage];
  for (const value of values) args.push('--param', value);
  const { stdout } = await run('npx', args, { cwd: repo, timeout: 120_000, maxBuffer: 32 << 20 });
  return JSON.parse(stdout) as PrintedService;
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
  const params = paramsOfVariables(readFileSync(`${repo}serverless.yml`, 'utf8'));
  if (stages.length === 0) {
    const declared = Object.keys((await print('dev', values)).params ?? {}).filter(
      (stage) => stage !== 'default',
    );
    stages.push(...(declared.length > 0 ? declared : ['dev']));
  }
  let failed = 0;
  for (const stage of stages) {
    const problems = problemsOfStage(await print(stage, values), params);
    if (problems.length === 0) console.log(`stage ${stage}: ok`);
    else {
      failed++;
      for (const problem of problems) console.error(`stage ${stage}: ${problem}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
