import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type PrintedService, problemsOfStage } from './lib/stage-validation.ts';

// `npm run validate [-- --stage S ...] [--param name=value ...]`: resolves each
// stage with `osls print` (offline) and checks it with the functions' own
// schema, so a bad parameter fails here rather than in AWS. Without --stage it
// checks every stage named under `params:` in serverless.yml (or `dev`).

const run = promisify(execFile);
const repo = new URL('../', import.meta.url).pathname;

async function print(stage: string, params: string[]): Promise<PrintedService> {
  const args = ['osls', 'print', '--format', 'json', '--stage', stage];
  for (const param of params) args.push('--param', param);
  const { stdout } = await run('npx', args, { cwd: repo, timeout: 120_000, maxBuffer: 32 << 20 });
  return JSON.parse(stdout) as PrintedService;
}

async function main(argv: string[]): Promise<number> {
  const stages: string[] = [];
  const params: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if ((flag === '--stage' || flag === '--param') && value !== undefined) {
      (flag === '--stage' ? stages : params).push(value);
      i++;
    } else {
      console.error(`validate: unknown argument ${flag}`);
      return 2;
    }
  }
  if (stages.length === 0) {
    const declared = Object.keys((await print('dev', params)).params ?? {}).filter(
      (stage) => stage !== 'default',
    );
    stages.push(...(declared.length > 0 ? declared : ['dev']));
  }
  let failed = 0;
  for (const stage of stages) {
    const problems = problemsOfStage(await print(stage, params));
    if (problems.length === 0) console.log(`stage ${stage}: ok`);
    else {
      failed++;
      for (const problem of problems) console.error(`stage ${stage}: ${problem}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
