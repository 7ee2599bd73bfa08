import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle.ts';

const serverlessYml = () => readFileSync(join(ROOT, 'serverless.yml'), 'utf8');

/** One `name: value` (an integer, quoted or not) at its first place in serverless.yml, or a clear error. */
function integerSetting(yaml: string, name: string): number {
  const match = new RegExp(`^\\s+${name}:\\s*'?(\\d+)'?\\s*$`, 'm').exec(yaml);
  if (match === null)
    throw new Error(`serverless.yml: no integer ${name} (bench/lib/serverless-settings.ts)`);
  return Number(match[1]);
}

/** The sweep function's timeout, seconds: serverless.yml's `custom.sweepTimeoutSeconds`. */
export function sweepTimeoutSeconds(yaml = serverlessYml()): number {
  return integerSetting(yaml, 'sweepTimeoutSeconds');
}

/** The drain period a stage gets unless it sets its own, seconds: the default `params` value `drainSeconds`. */
export function deployedDrainSeconds(yaml = serverlessYml()): number {
  return integerSetting(yaml, 'drainSeconds');
}
